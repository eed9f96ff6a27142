// Counts the SQL statements a Node process sends through `pg`, by statement text, for the
// pipeline bench's analysis (docs/benchmarks.md). Load it into the worker processes:
//   BENCH_WORKER_NODE_ARGS="--import ./tests/bench/count-queries.mjs" npm run bench pipeline
// Each process writes queries-<pid>.json into the system's temp directory (the lab gives the
// workers their own environment only) every second: the total and the 60 most frequent
// statements (first 90 characters; parameters are never read, so no personal data is written).
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const pg = require("pg");
const dir = tmpdir();
let total = 0;
const byText = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  total++;
  const text = typeof config === "string" ? config : (config?.text ?? "?");
  const key = text.replace(/\s+/g, " ").trim().slice(0, 90);
  byText.set(key, (byText.get(key) ?? 0) + 1);
  return query.call(this, config, ...rest);
};
setInterval(() => {
  const top = [...byText.entries()].sort((a, b) => b[1] - a[1]).slice(0, 60);
  writeFileSync(path.join(dir, `queries-${process.pid}.json`), JSON.stringify({ total, top }, null, 1));
}, 1000).unref();

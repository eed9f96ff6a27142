import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { countRun, formatReport } from "./counts.js";
import { chaos, type Lab, startLab } from "./harness.js";
import { planMoves, settle, submitAll } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5): 30 moves across 墨田区, 台東区 and the stand-in 江東区 through worker
 * processes that are SIGKILLed at random moments, a Redis restart (AOF), PostgreSQL stopped for
 * five seconds, and a 住基ネット that fails 30% of calls. Afterwards every application must be at
 * its final status, every message must have had exactly one effect, and no person's identity
 * updates may be out of order. The counts are printed as a table.
 */
const log = (line: string) => console.info(line);
const SUMIDA = "131075";
const TAITO = "131067";
const KOTO = "131083";

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: { [SUMIDA]: 16, [TAITO]: 8, [KOTO]: 6 },
    seed: 11,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "redis", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (Redis queue)", () => {
  it("worker SIGKILLs, a Redis restart, a PostgreSQL stop and 30% network failures lose and double nothing", async () => {
    const planned = planMoves(lab.world, [
      { from: SUMIDA, to: TAITO, count: 12 },
      { from: TAITO, to: SUMIDA, count: 8 },
      { from: KOTO, to: SUMIDA, count: 6 },
      { from: SUMIDA, to: KOTO, count: 4 },
    ]);
    const faults = chaos(
      lab,
      {
        durationMs: 45_000,
        killEveryMs: [3_000, 8_000],
        redisRestartAtMs: 12_000,
        postgresStopAtMs: 25_000,
        postgresDownMs: 5_000,
        networkFailureRate: 0.3,
      },
      log,
    );
    const moves = await submitAll(lab, planned, 30_000);
    await faults;
    const settled = await settle(lab, moves, 120_000, log);
    const report = await countRun(lab, moves);
    log(formatReport("pipeline under faults (Redis queue)", report, lab));
    for (const e of lab.counters.unexpectedExits) log(`unexpected exit of worker ${e.index}:\n${e.tail}`);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
    expect(lab.counters.kills).toBeGreaterThan(0);
    expect(lab.counters.postgresStops).toBe(1);
    expect(lab.counters.redisRestarts).toBe(1);
  }, 240_000);
});

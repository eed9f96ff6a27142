import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * `npm run bench` runs under plain Node (tsx), not Vite: a bench part that reaches a Vite-only
 * import (`?raw`, say) passes every test and fails only when the bench is run. This loads each
 * part's module the way the bench does, without running it.
 */
const root = path.resolve(import.meta.dirname, "../..");
const parts = ["register", "portal", "pipeline", "certificates"];

describe("npm run bench", () => {
  it.each(parts)(
    "the %s part loads under plain Node",
    async (part) => {
      const { stderr } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", `await import("./tests/bench/${part}.ts");`],
        { cwd: root, timeout: 60_000 },
      );
      expect(stderr).not.toMatch(/Error/);
    },
    90_000,
  );
});

import { describe, expect, it } from "vitest";
import { createLogger } from "../lib/logger.js";
import { startPeriodic } from "./periodic.js";

const logger = createLogger({ name: "test", level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("periodic work", () => {
  it("runs at start and then on every tick, never two runs at once, and keeps going after a failure", async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const task = startPeriodic({
      name: "test task",
      intervalMs: 10,
      logger,
      run: async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(35); // longer than the interval: ticks during a run are skipped
        concurrent -= 1;
        if (runs === 2) throw new Error("the database went away");
        return { done: 1 };
      },
    });
    expect(runs).toBe(1); // started at once, not after the first interval
    await sleep(200);
    await task.stop();
    const afterStop = runs;
    expect(afterStop).toBeGreaterThanOrEqual(3); // the failed second run did not stop it
    expect(maxConcurrent).toBe(1);
    await sleep(50);
    expect(runs).toBe(afterStop);
  });

  it("stop waits for the run in progress", async () => {
    let finished = false;
    const task = startPeriodic({
      name: "slow task",
      intervalMs: 1000,
      logger,
      run: async () => {
        await sleep(50);
        finished = true;
        return undefined;
      },
    });
    await task.stop();
    expect(finished).toBe(true);
  });
});

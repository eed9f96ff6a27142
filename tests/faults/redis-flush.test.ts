import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { countRun, formatReport } from "./counts.js";
import { chaos, type Lab, startLab } from "./harness.js";
import { planMoves, settle, submitAll } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5): Redis loses everything (FLUSHALL) while 20 moves are in flight and the
 * 住基ネット fails 30% of calls. Nothing may be lost: the outbox relays and the network's
 * re-announcement must bring back every job that vanished with Redis. Separate from the other
 * faults so that a loss here is attributable to the flush alone.
 */
const log = (line: string) => console.info(line);
const SUMIDA = "131075";
const TAITO = "131067";
const KOTO = "131083";

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: { [SUMIDA]: 10, [TAITO]: 6, [KOTO]: 4 },
    seed: 23,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "redis", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (Redis queue)", () => {
  it("a Redis FLUSHALL in the middle of a batch loses nothing", async () => {
    const planned = planMoves(lab.world, [
      { from: SUMIDA, to: TAITO, count: 10 },
      { from: TAITO, to: SUMIDA, count: 6 },
      { from: KOTO, to: SUMIDA, count: 4 },
    ]);
    const faults = chaos(lab, { durationMs: 20_000, redisFlushAtMs: 9_000, networkFailureRate: 0.3 }, log);
    const moves = await submitAll(lab, planned, 12_000);
    await faults;
    const settled = await settle(lab, moves, 120_000, log);
    const report = await countRun(lab, moves);
    log(formatReport("Redis FLUSHALL during a batch", report, lab));
    expect(lab.counters.redisFlushes).toBe(1);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
  }, 240_000);
});

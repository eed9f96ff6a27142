import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { countRun, formatReport, type Move } from "./counts.js";
import { chaos, type Lab, sleep, startLab } from "./harness.js";
import { planMoves, playCounter, settle, submitAll } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5): Redis loses everything (FLUSHALL) twice — while 20 moves' intakes are in
 * flight, and again while the counter's completions are — and the 住基ネット fails 30% of calls.
 * Nothing may be lost: the outbox relays (which republish after a lost store) and the network's
 * re-announcement must bring back every job that vanished with Redis; every move ends 完了 on both
 * sides. Separate from the other faults so that a loss here is attributable to the flushes.
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
  it("two Redis FLUSHALLs in the middle of a batch lose nothing", async () => {
    const planned = planMoves(
      lab.world,
      [
        { from: SUMIDA, to: TAITO, count: 10 },
        { from: TAITO, to: SUMIDA, count: 6 },
        { from: KOTO, to: SUMIDA, count: 4 },
      ],
      { completion: true },
    );
    const moves: Move[] = [];
    const counter = playCounter(lab, moves, log);
    // Two flushes: one while intakes are in flight, one while completions' messages are.
    const faults = chaos(lab, { durationMs: 30_000, redisFlushAtMs: 9_000, networkFailureRate: 0.3 }, log);
    const second = sleep(20_000).then(async () => {
      log("chaos: +20 s Redis FLUSHALL (second)");
      await lab.redis!.flushAll();
    });
    await submitAll(lab, planned, 12_000, moves);
    await Promise.all([faults, second]);
    const settled = await settle(lab, moves, 120_000, log);
    await counter.stop();
    const report = await countRun(lab, moves);
    log(formatReport("Redis FLUSHALLs during a batch", report, lab));
    expect(lab.counters.redisFlushes).toBe(2);
    expect(counter.refusals).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
  }, 240_000);
});

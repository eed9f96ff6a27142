import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { countRun, formatReport, type Move } from "./counts.js";
import { chaos, type Lab, startLab } from "./harness.js";
import { planMoves, playCounter, settle, submitAll, withCancellations } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5), the whole story: 22 moves across 墨田区, 台東区 and the stand-in 江東区, and
 * four 転居 inside 墨田区 and 台東区, from portal submission through intake, the 転出証明書情報 (or
 * the 転居予約), the reservation, the counter's 特例転入 or 転居 (played by the test while residents
 * arrive), the 転入通知 and the 転出確定 at the origin, to 完了 in the portal. Four residents press
 * 「取り消す」 instead, from at once after filing to ten seconds later, and their moves are undone on
 * both sides; two more press it just as the clerk completes their move (either wins, never both).
 * All this while worker processes are SIGKILLed, Redis is restarted, PostgreSQL is stopped for five
 * seconds and the network fails 30% of calls.
 */
const log = (line: string) => console.info(line);
const SUMIDA = "131075";
const TAITO = "131067";
const KOTO = "131083";

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: { [SUMIDA]: 14, [TAITO]: 8, [KOTO]: 4 },
    seed: 37,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "redis", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (Redis queue), through completion", () => {
  it("every move reaches 完了 on both sides (or is cancelled on both sides), each message with one effect, each person's updates in order", async () => {
    const planned = withCancellations(
      planMoves(
        lab.world,
        [
          { from: SUMIDA, to: TAITO, count: 9 },
          { from: TAITO, to: SUMIDA, count: 6 },
          { from: KOTO, to: SUMIDA, count: 4 },
          { from: SUMIDA, to: KOTO, count: 3 },
          { from: SUMIDA, to: SUMIDA, count: 2 },
          { from: TAITO, to: TAITO, count: 2 },
        ],
        { completion: true },
      ),
      4,
      10_000,
      { racingTheCounter: 2 },
    );
    const moves: Move[] = [];
    const counter = playCounter(lab, moves, log);
    const faults = chaos(
      lab,
      {
        durationMs: 45_000,
        killEveryMs: [3_000, 8_000],
        redisRestartAtMs: 12_000,
        postgresStopAtMs: 27_000,
        postgresDownMs: 5_000,
        networkFailureRate: 0.3,
      },
      log,
    );
    await submitAll(lab, planned, 25_000, moves);
    await faults;
    const settled = await settle(lab, moves, 120_000, log);
    await counter.stop();
    const report = await countRun(lab, moves);
    log(formatReport("whole story under faults (Redis queue)", report, lab));
    for (const e of lab.counters.unexpectedExits) log(`unexpected exit of worker ${e.index}:\n${e.tail}`);
    expect(counter.refusals).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
    expect(lab.counters.kills).toBeGreaterThan(0);
  }, 240_000);
});

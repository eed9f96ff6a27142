import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { countRun, formatReport, type Move } from "./counts.js";
import { chaos, type Lab, startLab } from "./harness.js";
import { planMoves, playCounter, settle, submitAll, withCancellations } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5), the whole story on BullMQ's PostgreSQL queue backend (what `npm start`
 * runs): the same moves, 転居, cancellations and counter as full-story.test.ts while worker
 * processes are SIGKILLed, PostgreSQL — register and queue at once — is stopped for five seconds
 * and the network fails 30% of calls. PostgreSQL keeps its default max_connections (100): each
 * process's queue backend shares one pool among its queues and workers (jobs/backend.ts).
 */
const log = (line: string) => console.info(line);
const SUMIDA = "131075";
const TAITO = "131067";
const KOTO = "131083";

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: { [SUMIDA]: 14, [TAITO]: 8, [KOTO]: 4 },
    seed: 53,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "postgres", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (PostgreSQL queue backend), through completion", () => {
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
    log(formatReport("whole story under faults (PostgreSQL queue backend)", report, lab));
    for (const e of lab.counters.unexpectedExits) log(`unexpected exit of worker ${e.index}:\n${e.tail}`);
    expect(counter.refusals).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
    expect(lab.counters.kills).toBeGreaterThan(0);
  }, 240_000);
});

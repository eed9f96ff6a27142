import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { formatReport } from "./counts.js";
import { type Lab, startLab } from "./harness.js";
import { runWholeStory, WHOLE_STORY_HOUSEHOLDS } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5), the whole story on BullMQ's PostgreSQL queue backend (what `npm start`
 * runs): the same moves, 転居, cancellations, expiries and counter as full-story.test.ts while
 * worker processes are SIGKILLed, PostgreSQL — register and queue at once — is stopped for five
 * seconds and the network fails 30% of calls. PostgreSQL keeps its default max_connections (100):
 * each process's queue backend shares one pool among its queues and workers (jobs/backend.ts).
 */
const log = (line: string) => console.info(line);

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: WHOLE_STORY_HOUSEHOLDS,
    seed: 53,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "postgres", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (PostgreSQL queue backend), through completion", () => {
  it("every move reaches its final state on both sides (完了, 取消済み or 期限切れ), each message with one effect, each person's updates in order", async () => {
    const { settled, report, refusals } = await runWholeStory(
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
    log(formatReport("whole story under faults (PostgreSQL queue backend)", report, lab));
    for (const e of lab.counters.unexpectedExits) log(`unexpected exit of worker ${e.index}:\n${e.tail}`);
    expect(refusals).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
    expect(lab.counters.kills).toBeGreaterThan(0);
  }, 240_000);
});

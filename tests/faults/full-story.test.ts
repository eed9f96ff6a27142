import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld } from "../../lib/world.js";
import { formatReport } from "./counts.js";
import { type Lab, startLab } from "./harness.js";
import { runWholeStory, WHOLE_STORY_HOUSEHOLDS } from "./scenario.js";
import { syntheticWorld } from "./world.js";

/**
 * Fault test (issue 5), the whole story: 22 moves across 墨田区, 台東区 and the stand-in 江東区, and
 * four 転居 inside 墨田区 and 台東区, from portal submission through intake, the 転出証明書情報 (or
 * the 転居予約), the reservation, the counter's 特例転入 or 転居 (played by the test while residents
 * arrive), the 転入通知 and the 転出確定 at the origin, to 完了 in the portal. Four residents press
 * 「取り消す」 instead, from at once after filing to ten seconds later, and their moves are undone on
 * both sides; two more press it just as the clerk completes their move (either wins, never both);
 * two never come to the counter, and the expiry sweep (run for a day 26 days ahead) closes theirs.
 * All this while worker processes are SIGKILLed, Redis is restarted, PostgreSQL is stopped for five
 * seconds and the network fails 30% of calls.
 */
const log = (line: string) => console.info(line);

let lab: Lab;

beforeAll(async () => {
  const world = syntheticWorld(loadWorld(), {
    households: WHOLE_STORY_HOUSEHOLDS,
    seed: 37,
    today: tokyoToday(),
  });
  lab = await startLab({ world, queue: "redis", workers: 2, log });
}, 180_000);

afterAll(async () => {
  await lab?.close();
}, 120_000);

describe("pipeline under faults (Redis queue), through completion", () => {
  it("every move reaches its final state on both sides (完了, 取消済み or 期限切れ), each message with one effect, each person's updates in order", async () => {
    const { settled, report, refusals } = await runWholeStory(
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
    log(formatReport("whole story under faults (Redis queue)", report, lab));
    for (const e of lab.counters.unexpectedExits) log(`unexpected exit of worker ${e.index}:\n${e.tail}`);
    expect(refusals).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(settled).toBe(true);
    expect(lab.counters.kills).toBeGreaterThan(0);
  }, 240_000);
});

import { sql } from "kysely";
import { completeRelocation, completeSpecialMoveIn } from "../../backoffice/pipeline/completion.js";
import { sweepExpired } from "../../backoffice/pipeline/expiry.js";
import type { Actor } from "../../backoffice/register/authorization.js";
import { RegisterValidationError } from "../../backoffice/register/errors.js";
import { addDays } from "../../backoffice/register/time-rules.js";
import { processors } from "../../jobs/processors/index.js";
import { type ApplicationStatus, queues } from "../../jobs/queues.js";
import type { World, WorldPerson } from "../../lib/world.js";
import { countRun, type Move, type MoveKind, type Report } from "./counts.js";
import { type ChaosPlan, chaos, type Lab, sleep } from "./harness.js";
import { syntheticHouseholds } from "./world.js";

/** Who moves where in a run: `count` households of `from`, each to `to`. */
export interface Route {
  from: string;
  to: string;
  count: number;
}

export interface PlannedMove {
  kind: MoveKind;
  origin: string;
  destination: string;
  people: WorldPerson[];
  expected: ApplicationStatus;
  /** The resident presses 「取り消す」 this long after submitting (the counter leaves it alone). */
  cancelAfterMs?: number;
  /**
   * The resident presses 「取り消す」 at the counter's moment: when the reservation is waiting, the
   * cancellation and the completion are started together. Either may win, never both (decision
   * 009): the final status is 完了 or 取消済み, and the register agrees on both sides.
   */
  raced?: boolean;
  /** Days from today to the planned move (default 5). */
  plannedInDays?: number;
  /** Nobody comes to the counter: the reservation expires (expected: expired). */
  unvisited?: boolean;
}

/** The day the expiry sweep is run for (see withExpiries): 26 days from today. */
export const EXPIRY_SWEEP_IN_DAYS = 26;

/**
 * Marks `count` of the moves between two hosted municipalities (not cancelled ones) as never
 * visited, with their planned move 5 days ago (inside the online window), so that a sweep run for
 * EXPIRY_SWEEP_IN_DAYS from today finds their 転入予約 past its 30 days and nothing else: the other
 * moves are planned 5 days ahead, and the 転居 are moved to 13 days ahead (their 14 days).
 */
export function withExpiries(planned: PlannedMove[], count: number): PlannedMove[] {
  const candidates = planned.filter(
    (p) => p.kind === "hosted" && p.expected === "completed" && !p.raced && p.cancelAfterMs === undefined,
  );
  if (candidates.length < count) throw new Error(`${count} expiries asked, ${candidates.length} candidates`);
  const step = Math.max(1, Math.floor(candidates.length / count));
  const chosen = new Set(Array.from({ length: count }, (_, i) => candidates[i * step]!));
  return planned.map((p) =>
    chosen.has(p)
      ? { ...p, expected: "expired", unvisited: true, plannedInDays: -5 }
      : p.kind === "relocation"
        ? { ...p, plannedInDays: 13 }
        : p,
  );
}

/**
 * The clock's work, played by the test: the expiry sweep (`sweepExpired`) for
 * EXPIRY_SWEEP_IN_DAYS from today, every 2 s while faults go on, as the worker's periodic task
 * would on that day. Errors (PostgreSQL down) are ignored: the next run tries again.
 */
export function playTheClock(lab: Lab): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sweepExpired(lab.db, addDays(lab.today, EXPIRY_SWEEP_IN_DAYS)).catch(() => undefined);
      await sleep(2_000);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Marks `count` of the moves between two hosted municipalities to be cancelled by their residents,
 * spread over the run: from at once (the cancellation may overtake the intake) to `withinMs` after
 * submission (the reservation is waiting by then). Their final status is 取消済み.
 */
export function withCancellations(
  planned: PlannedMove[],
  count: number,
  withinMs: number,
  opts: { racingTheCounter?: number } = {},
): PlannedMove[] {
  const raced = opts.racingTheCounter ?? 0;
  const hosted = planned.filter((p) => p.kind === "hosted");
  if (hosted.length < count + raced)
    throw new Error(`${count + raced} cancellations asked, ${hosted.length} hosted moves`);
  const step = Math.max(1, Math.floor(hosted.length / (count + raced)));
  const picked = Array.from({ length: count + raced }, (_, i) => hosted[i * step]!);
  const timed = new Set(picked.slice(0, count));
  const racing = new Set(picked.slice(count));
  let i = 0;
  return planned.map((p) =>
    timed.has(p)
      ? { ...p, expected: "cancelled", cancelAfterMs: Math.round((withinMs * i++) / Math.max(1, count - 1)) }
      : racing.has(p)
        ? { ...p, raced: true }
        : p,
  );
}

/** Whether an application is at its final portal status (a raced one: 完了 or 取消済み). */
export function isFinalFor(m: Pick<PlannedMove, "expected" | "raced">, status: string | undefined): boolean {
  return m.raced ? status === "completed" || status === "cancelled" : status === m.expected;
}

/**
 * Picks distinct synthetic households for each route. Expected final statuses: with the counter
 * played (`completion`), 完了 for every move; without, 来庁待ち at a hosted destination and 転出受理
 * when the destination is a stand-in municipality.
 */
export function planMoves(world: World, routes: Route[], opts: { completion?: boolean } = {}): PlannedMove[] {
  const hosted = (lg: string) => world.municipalities.find((m) => m.lgCode === lg)?.hosted === true;
  const used = new Map<string, number>();
  const out: PlannedMove[] = [];
  for (const r of routes) {
    const households = syntheticHouseholds(world, r.from);
    const start = used.get(r.from) ?? 0;
    if (households.length < start + r.count)
      throw new Error(
        `the world has ${households.length} synthetic households in ${r.from}; ${start + r.count} needed`,
      );
    used.set(r.from, start + r.count);
    for (const people of households.slice(start, start + r.count)) {
      const kind: MoveKind =
        r.from === r.to
          ? "relocation"
          : !hosted(r.from)
            ? "fromStandIn"
            : hosted(r.to)
              ? "hosted"
              : "toStandIn";
      out.push({
        kind,
        origin: r.from,
        destination: r.to,
        people,
        expected: opts.completion ? "completed" : kind === "toStandIn" ? "moveOutAccepted" : "awaitingVisit",
      });
    }
  }
  // Interleave the routes, as residents would file them.
  return out.sort((x, y) => (x.people[0]!.residentCode < y.people[0]!.residentCode ? -1 : 1));
}

/** Submits every move through the portal's tables, spread over `spreadMs`. */
export async function submitAll(
  lab: Lab,
  planned: PlannedMove[],
  spreadMs: number,
  moves: Move[] = [],
): Promise<Move[]> {
  const started = Date.now();
  const cancellations: Promise<void>[] = [];
  for (const [i, p] of planned.entries()) {
    await sleep(Math.max(0, started + (spreadMs * i) / planned.length - Date.now()));
    const submittedAt = Date.now();
    const applicationId = await lab.submit(
      p.people,
      p.destination,
      p.kind === "relocation" ? "relocation" : "moveOut",
      p.plannedInDays !== undefined ? { plannedInDays: p.plannedInDays } : {},
    );
    moves.push({ ...p, applicationId, submittedAt });
    if (p.cancelAfterMs !== undefined) {
      cancellations.push(
        sleep(p.cancelAfterMs).then(async () => {
          const outcome = await lab.cancel(applicationId);
          // Retried after a lost answer, the first attempt may already have cancelled it.
          if (outcome.kind === "notFound") throw new Error(`cancellation: application not found`);
        }),
      );
    }
  }
  await Promise.all(cancellations);
  return moves;
}

/** How far the run is: applications at their final status, and work still in flight. */
export async function progress(lab: Lab, moves: Move[]) {
  const ids = moves.map((m) => m.applicationId);
  const statuses = new Map(
    (
      await lab.admin
        .selectFrom("portal.application")
        .select(["id", "status"])
        .where("id", "in", ids)
        .execute()
    ).map((r: { id: string; status: string }) => [r.id, r.status]),
  );
  const final = moves.filter((m) => isFinalFor(m, statuses.get(m.applicationId))).length;
  const consumed = processors.map((p) => queues[p.queue].name);
  const pending = await sql<{ n: number }>`
    select (select count(*) from messaging.outbox o where o.queue = any(${consumed})
              and not exists (select 1 from messaging.inbox i where i.message_id = o.id)
              and not exists (select 1 from portal.inbox i where i.message_id = o.id))
         + (select count(*) from portal.outbox o where o.queue = any(${consumed})
              and not exists (select 1 from messaging.inbox i where i.message_id = o.id))
         + (select count(*) from register.outbound_message where status <> 'accepted') as n`.execute(
    lab.admin,
  );
  const unacked = [...lab.jukiNet.system.state.mailboxes.values()]
    .flat()
    .filter((id) => !lab.jukiNet.system.state.messages.get(id)?.ackedAt).length;
  return { final, total: moves.length, inFlight: Number(pending.rows[0]!.n), unacked };
}

/**
 * Waits until every application is at its final status and nothing is in flight (every message
 * with a consumer applied, every outbound message accepted, every mailbox message acknowledged),
 * or the time is up. Prints progress every 10 s. Returns whether the run settled.
 */
export async function settle(
  lab: Lab,
  moves: Move[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const started = Date.now();
  let lastLog = 0;
  for (;;) {
    const p = await progress(lab, moves).catch(() => undefined);
    const done = p !== undefined && p.final === p.total && p.inFlight === 0 && p.unacked === 0;
    if (done || Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        p
          ? `settle: +${((Date.now() - started) / 1000).toFixed(0)} s ${p.final}/${p.total} final, ${p.inFlight} messages in flight, ${p.unacked} unacknowledged`
          : "settle: database not reachable yet",
      );
    }
    if (done) return true;
    if (Date.now() - started > timeoutMs) return false;
    await sleep(1_000);
  }
}

export interface Counter {
  /** Application id → when the counter completed it (ms). */
  completedAt: Map<string, number>;
  /** Refusals of the completion command (each is a finding). */
  refusals: string[];
  stop(): Promise<void>;
}

/**
 * Plays the counter of each destination: a resident whose reservation is waiting comes in and
 * staff complete the 特例転入 through `completeSpecialMoveIn` (request key per application, so a
 * retry after a lost answer replays the first result); a move into a stand-in municipality is
 * completed there (`POST /_control/move-in`). Errors while PostgreSQL is down are retried.
 */
export function playCounter(lab: Lab, moves: Move[], log: (line: string) => void): Counter {
  const completedAt = new Map<string, number>();
  const refusals: string[] = [];
  let stopped = false;
  const clerk = (lgCode: string): Actor => {
    const s = lab.world.staff.find((x) => x.lgCode === lgCode && x.roles.includes("clerk"));
    return { staffId: s?.id ?? `faults-clerk-${lgCode}`, lgCode, roles: ["clerk"] };
  };
  const racesStarted = new Set<string>();
  const races: Promise<void>[] = [];
  const race = (m: Move, reservationId: string): Promise<void> => {
    // The first race starts both at once (the clerk, in process, is usually quicker); each later
    // one gives the cancellation 3 s more to cross the queue and the network before the clerk.
    const clerkDelayMs = 3_000 * races.length;
    const done = (async () => {
      const complete = async () => {
        await sleep(clerkDelayMs);
        for (;;) {
          try {
            await completeSpecialMoveIn(
              { db: lab.db, keys: lab.keys, actor: clerk(m.destination), today: lab.today },
              { requestKey: `counter:${m.applicationId}`, lgCode: m.destination, reservationId },
            );
            return;
          } catch (err) {
            // Refused: the cancellation won (the reservation is closed). Anything else: again.
            if (err instanceof RegisterValidationError || stopped) return;
            await sleep(300);
          }
        }
      };
      await Promise.all([lab.cancel(m.applicationId), complete()]);
      completedAt.set(m.applicationId, Date.now());
    })();
    races.push(done);
    return done;
  };
  const loop = (async () => {
    while (!stopped) {
      for (const m of [...moves]) {
        if (stopped) break;
        if (completedAt.has(m.applicationId) || m.cancelAfterMs !== undefined || m.unvisited) continue;
        if (m.raced && racesStarted.has(m.applicationId)) continue;
        try {
          if (m.kind === "toStandIn") {
            const pending = lab.jukiNet.system.state.pendingMoveIns.get(m.applicationId);
            if (!pending) continue;
            if (!pending.done) {
              const res = await fetch(`${lab.jukiNet.url}/_control/move-in`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ applicationId: m.applicationId }),
              });
              if (!res.ok) continue;
            }
            completedAt.set(m.applicationId, Date.now());
            continue;
          }
          const r = await lab.db
            .selectFrom("register.reservation")
            .select(["id", "status"])
            .where("application_id", "=", m.applicationId)
            .where("lg_code", "=", m.destination)
            .executeTakeFirst();
          if (!r || (r.status !== "waiting" && r.status !== "completed")) continue;
          if (m.raced && r.status === "waiting") {
            // The resident cancels just as the clerk completes: both at once; one of them wins.
            racesStarted.add(m.applicationId);
            void race(m, r.id);
            continue;
          }
          await (m.kind === "relocation" ? completeRelocation : completeSpecialMoveIn)(
            { db: lab.db, keys: lab.keys, actor: clerk(m.destination), today: lab.today },
            { requestKey: `counter:${m.applicationId}`, lgCode: m.destination, reservationId: r.id },
          );
          completedAt.set(m.applicationId, Date.now());
        } catch (err) {
          if (err instanceof RegisterValidationError) {
            refusals.push(`${m.applicationId}: ${err.message}`);
            log(`counter: completion refused (${err.message})`);
            completedAt.set(m.applicationId, Date.now());
          }
          // Anything else (PostgreSQL down …): the resident waits; try again.
        }
      }
      await sleep(300);
    }
  })();
  return {
    completedAt,
    refusals,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(races);
    },
  };
}

/** The hosted municipalities and the stand-in of the whole-story runs (the world file's). */
const SUMIDA = "131075";
const TAITO = "131067";
const KOTO = "131083";

/** Synthetic households per municipality the whole-story plan needs. */
export const WHOLE_STORY_HOUSEHOLDS: Record<string, number> = { [SUMIDA]: 14, [TAITO]: 8, [KOTO]: 4 };

/**
 * The whole story (full-story.test.ts, postgres-queue.test.ts): 22 moves across 墨田区, 台東区 and
 * the stand-in 江東区 and four 転居, all played through to the counter; of the moves between the
 * hosted two, four are cancelled by their residents (from at once to 10 s after filing), two are
 * cancelled just as the clerk completes them, and two are never visited and expire. Submitted over
 * 25 s while `faults` run; then settled (120 s at most) and counted.
 */
export async function runWholeStory(
  lab: Lab,
  faults: ChaosPlan,
  log: (line: string) => void,
): Promise<{ settled: boolean; report: Report; refusals: string[] }> {
  const planned = withExpiries(
    withCancellations(
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
    ),
    2,
  );
  const moves: Move[] = [];
  const counter = playCounter(lab, moves, log);
  const clock = playTheClock(lab);
  const chaosDone = chaos(lab, faults, log);
  await submitAll(lab, planned, 25_000, moves);
  await chaosDone;
  const settled = await settle(lab, moves, 120_000, log);
  await counter.stop();
  await clock.stop();
  return { settled, report: await countRun(lab, moves), refusals: counter.refusals };
}

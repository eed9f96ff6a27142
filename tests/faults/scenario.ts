import { sql } from "kysely";
import type { ApplicationStatus } from "../../jobs/queues.js";
import type { World, WorldPerson } from "../../lib/world.js";
import type { Move, MoveKind } from "./counts.js";
import { type Lab, sleep } from "./harness.js";
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
}

/**
 * Picks distinct synthetic households for each route. Expected final statuses as far as the
 * pipeline goes today: 来庁待ち at a hosted destination; 転出受理 when the destination is a stand-in
 * municipality (its counter visit is not played here).
 */
export function planMoves(world: World, routes: Route[]): PlannedMove[] {
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
      const kind: MoveKind = !hosted(r.from) ? "fromStandIn" : hosted(r.to) ? "hosted" : "toStandIn";
      out.push({
        kind,
        origin: r.from,
        destination: r.to,
        people,
        expected: kind === "toStandIn" ? "moveOutAccepted" : "awaitingVisit",
      });
    }
  }
  // Interleave the routes, as residents would file them.
  return out.sort((x, y) => (x.people[0]!.residentCode < y.people[0]!.residentCode ? -1 : 1));
}

/** Submits every move through the portal's tables, spread over `spreadMs`. */
export async function submitAll(lab: Lab, planned: PlannedMove[], spreadMs: number): Promise<Move[]> {
  const moves: Move[] = [];
  const started = Date.now();
  for (const [i, p] of planned.entries()) {
    await sleep(Math.max(0, started + (spreadMs * i) / planned.length - Date.now()));
    const applicationId = await lab.submit(p.people, p.destination);
    moves.push({ ...p, applicationId });
  }
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
  const final = moves.filter((m) => statuses.get(m.applicationId) === m.expected).length;
  const pending = await sql<{ n: number }>`
    select (select count(*) from messaging.outbox o where o.queue in ('intake','juki-net-identity','juki-net-outbound','application-status')
              and not exists (select 1 from messaging.inbox i where i.message_id = o.id)
              and not exists (select 1 from portal.inbox i where i.message_id = o.id))
         + (select count(*) from portal.outbox o where not exists (select 1 from messaging.inbox i where i.message_id = o.id))
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

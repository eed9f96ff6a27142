import { sql } from "kysely";
import { worldResidentId } from "../../backoffice/register/seed.js";
import { processors } from "../../jobs/processors/index.js";
import { type ApplicationStatus, queues } from "../../jobs/queues.js";
import type { WorldPerson } from "../../lib/world.js";
import type { Lab } from "./harness.js";

/**
 * After a run: what was sent, what was delivered, which effects happened twice, what was lost,
 * and whose updates arrived out of order — read from the outboxes and inboxes of both zones,
 * the register, the portal's status history and what the 住基ネット stand-in recorded. Printed
 * as a table in the Jepsen style; `problems` lists every violation in words (no personal data).
 */

/** Between two hosted municipalities, from or to the stand-in, or a 転居 inside one municipality. */
export type MoveKind = "hosted" | "fromStandIn" | "toStandIn" | "relocation";

export interface Move {
  applicationId: string;
  kind: MoveKind;
  origin: string;
  destination: string;
  people: WorldPerson[];
  /** The portal status this application must end in. */
  expected: ApplicationStatus;
  /** When it was submitted (ms). */
  submittedAt: number;
  /** Set when the resident cancels it (expected: cancelled). */
  cancelAfterMs?: number;
  /** Cancelled just as the counter completes it: 完了 or 取消済み, whichever won (scenario.ts). */
  raced?: boolean;
  /** Days from today to the planned move (default 5; an unvisited one is in the past). */
  plannedInDays?: number;
  /** Nobody comes to the counter: the reservation expires (expected: expired). */
  unvisited?: boolean;
}

export interface Row {
  what: string;
  sent: number;
  delivered: number;
  duplicated: number;
  lost: number;
  outOfOrder: number;
  note?: string;
}

export interface Report {
  rows: Row[];
  problems: string[];
  finalStates: Record<string, number>;
}

const ORDER: ApplicationStatus[] = ["received", "moveOutAccepted", "awaitingVisit", "completed"];

export async function countRun(lab: Lab, allMoves: Move[]): Promise<Report> {
  const rows: Row[] = [];
  const problems: string[] = [];
  const a = lab.admin;
  // A cancellation raced against the counter: whichever won is what the rest must agree with —
  // 完了 is counted as a completed move, 取消済み as a cancelled one.
  const raced = allMoves.filter((m) => m.raced);
  const racedStatus = new Map<string, string>();
  if (raced.length > 0) {
    for (const r of await a
      .selectFrom("portal.application")
      .select(["id", "status"])
      .where(
        "id",
        "in",
        raced.map((m) => m.applicationId),
      )
      .execute())
      racedStatus.set(r.id, r.status);
  }
  const moves: Move[] = allMoves.map((m) =>
    m.raced
      ? { ...m, expected: racedStatus.get(m.applicationId) === "cancelled" ? "cancelled" : "completed" }
      : m,
  );
  if (raced.length > 0) {
    const won = (s: string) => raced.filter((m) => racedStatus.get(m.applicationId) === s).length;
    const settled = won("completed") + won("cancelled");
    rows.push({
      what: "取り消し racing the counter → one outcome",
      sent: raced.length,
      delivered: settled,
      duplicated: 0,
      lost: raced.length - settled,
      outOfOrder: 0,
      note: `completed ${won("completed")}, cancelled ${won("cancelled")}; the rows below check each side agrees`,
    });
    if (settled !== raced.length)
      problems.push(`${raced.length - settled} raced application(s) neither completed nor cancelled`);
  }
  const state = lab.jukiNet.system.state;
  const consumed = new Set<string>(processors.map((p) => queues[p.queue].name));

  // 1. Outbox → inbox, per queue (both zones' outboxes; the consumer's zone's inbox).
  for (const schema of ["portal", "messaging"] as const) {
    const result = await sql<{
      queue: string;
      sent: number;
      unpublished: number;
      delivered: number;
    }>`
      select o.queue,
             count(*)::int as sent,
             count(*) filter (where o.published_at is null)::int as unpublished,
             count(*) filter (where exists (select 1 from messaging.inbox i where i.message_id = o.id)
                                 or exists (select 1 from portal.inbox i where i.message_id = o.id))::int as delivered
      from ${sql.id(schema, "outbox")} o group by o.queue order by o.queue`.execute(a);
    for (const r of result.rows) {
      const hasConsumer = consumed.has(r.queue);
      const lost = hasConsumer ? r.sent - r.delivered : 0;
      rows.push({
        what: `queue ${r.queue}`,
        sent: r.sent,
        delivered: r.delivered,
        duplicated: 0,
        lost,
        outOfOrder: 0,
        ...(hasConsumer
          ? r.unpublished > 0
            ? { note: `${r.unpublished} never published` }
            : {}
          : { note: "no consumer in jobs/ yet: waits in the queue (not counted as lost)" }),
      });
      if (lost > 0)
        problems.push(`${lost} message(s) of queue ${r.queue} never had an effect at the consumer`);
    }
  }

  // Ordered deliveries: per ordering key the inbox's last sequence must equal the number sent.
  const ordered = await sql<{ queue: string; behind: number }>`
    select o.queue, count(*)::int as behind from (
      select queue, ordering_key, max(sequence) as last from messaging.outbox where ordering_key is not null group by 1, 2
      union all
      select queue, ordering_key, max(sequence) from portal.outbox where ordering_key is not null group by 1, 2
    ) o
    left join (select ordering_key, last_sequence from messaging.inbox_order
               union all select ordering_key, last_sequence from portal.inbox_order) i
      on i.ordering_key = o.ordering_key
    where coalesce(i.last_sequence, 0) <> o.last
    group by o.queue`.execute(a);
  for (const r of ordered.rows) {
    if (!consumed.has(r.queue)) continue;
    problems.push(`${r.behind} ordering key(s) of queue ${r.queue} stopped before their last message`);
  }

  // 2. Closed zone → 住基ネット: every stored outbound message accepted once by the network.
  const outbound = await a
    .selectFrom("register.outbound_message")
    .select(["id", "kind", "status", "application_id"])
    .execute();
  const notAtNetwork = outbound.filter((m: { id: string }) => !state.messages.has(m.id));
  rows.push({
    what: "住基ネット messages sent by hosted CS",
    sent: outbound.length,
    delivered: outbound.length - notAtNetwork.length,
    duplicated: 0,
    lost: notAtNetwork.length,
    outOfOrder: 0,
    note: `${outbound.filter((m: { status: string }) => m.status !== "accepted").length} not marked accepted`,
  });
  if (notAtNetwork.length > 0)
    problems.push(`${notAtNetwork.length} outbound message(s) never reached the network`);

  // 3. 住基ネット → hosted mailboxes → inbound processor (inbox) → acknowledgement.
  const mailboxIds = [...state.mailboxes.values()].flat();
  const inbound = new Set(
    mailboxIds.length === 0
      ? []
      : (
          await a
            .selectFrom("messaging.inbox")
            .select("message_id")
            .where("consumer", "=", "backoffice-juki-net-inbound")
            .where("message_id", "in", mailboxIds)
            .execute()
        ).map((r: { message_id: string }) => r.message_id),
  );
  const unacked = mailboxIds.filter((id) => !state.messages.get(id)?.ackedAt).length;
  rows.push({
    what: "住基ネット → hosted mailbox → inbound",
    sent: mailboxIds.length,
    delivered: inbound.size,
    duplicated: 0,
    lost: mailboxIds.length - inbound.size,
    outOfOrder: 0,
    note: `${unacked} unacknowledged`,
  });
  if (mailboxIds.length !== inbound.size)
    problems.push(`${mailboxIds.length - inbound.size} mailbox message(s) never applied by the back office`);

  // 4. Effects per application.
  const reservations = new Map<string, number>();
  for (const r of await a
    .selectFrom("register.reservation")
    .select(["application_id", sql<number>`count(*)::int`.as("n")])
    .groupBy("application_id")
    .execute()) {
    reservations.set(r.application_id, Number(r.n));
  }
  const finalStates: Record<string, number> = {};
  let resvExpected = 0;
  let resvMade = 0;
  let resvDup = 0;
  let histDup = 0;
  let histOoo = 0;
  let notFinal = 0;
  for (const m of moves) {
    const app = await a
      .selectFrom("portal.application")
      .select("status")
      .where("id", "=", m.applicationId)
      .executeTakeFirst();
    const status = app?.status ?? "missing";
    finalStates[status] = (finalStates[status] ?? 0) + 1;
    if (status !== m.expected) notFinal++;
    const history = (
      await a
        .selectFrom("portal.application_status_history")
        .select("status")
        .where("application_id", "=", m.applicationId)
        .orderBy("id")
        .execute()
    ).map((h: { status: ApplicationStatus }) => h.status);
    const seen = new Set<string>();
    let last = -1;
    for (const s of history) {
      if (seen.has(s)) histDup++;
      seen.add(s);
      const i = ORDER.indexOf(s);
      if (i >= 0 && i < last) histOoo++;
      if (i >= 0) last = i;
    }
    if (m.kind !== "toStandIn" && m.expected !== "cancelled") {
      resvExpected++;
      const n = reservations.get(m.applicationId) ?? 0;
      if (n > 0) resvMade++;
      if (n > 1) resvDup += n - 1;
    }
  }
  rows.push({
    what: "applications → final portal status",
    sent: moves.length,
    delivered: moves.length - notFinal,
    duplicated: histDup,
    lost: notFinal,
    outOfOrder: histOoo,
    note: Object.entries(finalStates)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
  });
  if (notFinal > 0) problems.push(`${notFinal} application(s) did not reach their final status`);
  if (histDup > 0) problems.push(`${histDup} repeated status(es) in the portal's history`);
  if (histOoo > 0) problems.push(`${histOoo} status(es) went backwards in the portal's history`);
  rows.push({
    what: "転出証明書情報 / 転居予約 → reservation",
    sent: resvExpected,
    delivered: resvMade,
    duplicated: resvDup,
    lost: resvExpected - resvMade,
    outOfOrder: 0,
  });
  if (resvDup > 0) problems.push(`${resvDup} extra reservation(s)`);
  if (resvExpected !== resvMade)
    problems.push(`${resvExpected - resvMade} application(s) without a reservation`);

  // 5. The register: one scheduled 転出 per person of a hosted origin.
  const hostedMovers = moves
    .filter((m) => m.kind !== "fromStandIn" && m.kind !== "relocation" && m.expected !== "cancelled")
    .flatMap((m) => m.people);
  const ids = hostedMovers.map(worldResidentId);
  const changes = new Map<string, number>();
  if (ids.length > 0) {
    for (const r of await a
      .selectFrom("register.resident_change")
      .select(["resident_id", sql<number>`count(*)::int`.as("n")])
      .where("kind", "=", "moveOut")
      .where("resident_id", "in", ids)
      .groupBy("resident_id")
      .execute()) {
      changes.set(r.resident_id, Number(r.n));
    }
  }
  const moveOutDup = [...changes.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  rows.push({
    what: "scheduled 転出 in the register",
    sent: ids.length,
    delivered: ids.filter((id) => (changes.get(id) ?? 0) > 0).length,
    duplicated: moveOutDup,
    lost: ids.filter((id) => !changes.has(id)).length,
    outOfOrder: 0,
  });
  if (moveOutDup > 0) problems.push(`${moveOutDup} extra 転出 change(s) in the register`);

  // Register history per record, in the order the register wrote it: entry, then scheduled
  // 転出, then 転出確定 or its cancellation (a record at a destination starts with its 特例転入).
  const rank: Record<string, number> = {
    exOfficioEntry: 0,
    specialMoveIn: 0,
    moveOut: 1,
    moveOutConfirm: 2,
    moveOutCancel: 2,
  };
  const codes = moves.flatMap((m) => m.people.map((p) => p.residentCode));
  const history = await sql<{ resident_id: string; kinds: string[] }>`
      select c.resident_id, array_agg(c.kind order by c.seq) as kinds
      from register.resident_change c join register.resident r on r.id = c.resident_id
      where r.resident_code = any(${codes}) group by 1`.execute(a);
  const badHistories = history.rows.filter((r) => {
    const ranks = r.kinds.map((k) => rank[k] ?? -1).filter((x) => x >= 0);
    return ranks.some((x, i) => i > 0 && x < ranks[i - 1]!);
  }).length;
  rows.push({
    what: "register history per record",
    sent: history.rows.length,
    delivered: history.rows.length,
    duplicated: 0,
    lost: 0,
    outOfOrder: badHistories,
  });
  if (badHistories > 0) problems.push(`${badHistories} record(s) whose register history is out of order`);

  // 6. Identity information at the network: per person and municipality series, 1, 2, 3 … once
  // each, and as many as that municipality's register sent.
  const identitySent = await sql<{ lg_code: string; resident_code: string; n: number }>`
      select r.lg_code, r.resident_code, count(*)::int as n
      from messaging.outbox o join register.resident r on o.ordering_key = 'juki-net-identity:' || r.id::text
      where o.queue = 'juki-net-identity' group by 1, 2`.execute(a);
  let idSent = 0;
  let idApplied = 0;
  let idDup = 0;
  let idOoo = 0;
  for (const r of identitySent.rows) {
    idSent += r.n;
    const seqs = state
      .history(r.resident_code)
      .filter((e) => e.lgCode === r.lg_code && e.sequence > 0)
      .map((e) => e.sequence);
    // In the order the network applied them: 1, 2, 3 … with no repeat and no gap.
    const firsts = seqs.filter((n, i) => seqs.indexOf(n) === i);
    idDup += seqs.length - firsts.length;
    idOoo += firsts.filter((n, i) => n !== i + 1).length;
    idApplied += Math.min(r.n, firsts.length);
  }
  rows.push({
    what: "identity updates (本人確認情報)",
    sent: idSent,
    delivered: idApplied,
    duplicated: idDup,
    lost: idSent - idApplied,
    outOfOrder: idOoo,
  });
  if (idDup > 0) problems.push(`${idDup} identity entries applied twice at the network`);
  if (idOoo > 0) problems.push(`${idOoo} identity entries out of order at the network`);
  if (idSent !== idApplied)
    problems.push(`${idSent - idApplied} identity update(s) never applied at the network`);

  // Completion: 特例転入 at the destination, 転出確定 at the origin (both sides).
  const completing = moves.filter((m) => m.expected === "completed" && m.kind !== "relocation");
  if (completing.length > 0) {
    const codesIn = async (kind: string, pairs: { lg: string; code: string }[]) => {
      const counts = new Map<string, number>();
      if (pairs.length === 0) return counts;
      const found = await sql<{ k: string; n: number }>`
        select r.lg_code || ':' || r.resident_code as k, count(*)::int as n
        from register.resident_change c join register.resident r on r.id = c.resident_id
        where c.kind = ${kind} and r.resident_code = any(${pairs.map((p) => p.code)})
        group by 1`.execute(a);
      for (const f of found.rows) counts.set(f.k, f.n);
      return counts;
    };
    const hostedDest = completing
      .filter((m) => m.kind !== "toStandIn")
      .flatMap((m) => m.people.map((p) => ({ lg: m.destination, code: p.residentCode })));
    const moveIns = await codesIn("specialMoveIn", hostedDest);
    const inDup = [...moveIns.values()].reduce((x, n) => x + Math.max(0, n - 1), 0);
    const inMade = hostedDest.filter((p) => moveIns.has(`${p.lg}:${p.code}`)).length;
    rows.push({
      what: "特例転入 at the destination",
      sent: hostedDest.length,
      delivered: inMade,
      duplicated: inDup,
      lost: hostedDest.length - inMade,
      outOfOrder: 0,
    });
    if (inDup > 0) problems.push(`${inDup} extra 特例転入 change(s)`);
    if (inMade !== hostedDest.length)
      problems.push(`${hostedDest.length - inMade} person(s) not registered at the destination`);

    const hostedOrigin = completing
      .filter((m) => m.kind !== "fromStandIn")
      .flatMap((m) => m.people.map((p) => ({ lg: m.origin, code: p.residentCode })));
    const confirms = await codesIn("moveOutConfirm", hostedOrigin);
    const confDup = [...confirms.values()].reduce((x, n) => x + Math.max(0, n - 1), 0);
    const standInOrigin = completing.filter((m) => m.kind === "fromStandIn");
    const standInConfirmed = standInOrigin.filter(
      (m) => state.moveOuts.get(m.applicationId)?.status === "confirmed",
    );
    const standInRemovals = standInOrigin
      .flatMap((m) => m.people.map((p) => ({ m, p })))
      .map(
        ({ m, p }) =>
          state.history(p.residentCode).filter((e) => e.lgCode === m.origin && e.reason === "moveOut").length,
      );
    const sent = hostedOrigin.length + standInOrigin.length;
    const made =
      hostedOrigin.filter((p) => confirms.has(`${p.lg}:${p.code}`)).length + standInConfirmed.length;
    const dup = confDup + standInRemovals.reduce((x, n) => x + Math.max(0, n - 1), 0);
    rows.push({
      what: "転入通知 → 転出確定 at the origin",
      sent,
      delivered: made,
      duplicated: dup,
      lost: sent - made,
      outOfOrder: 0,
      note: `${hostedOrigin.length} people at hosted origins, ${standInOrigin.length} applications at the stand-in`,
    });
    if (dup > 0) problems.push(`${dup} extra 転出確定 effect(s) at the origin`);
    if (made !== sent) problems.push(`${sent - made} 転出 not confirmed at the origin`);
  }

  // 附票通知: one entry per person at the 本籍地 (the synthetic people's 本籍 is their origin).
  if (completing.length > 0) {
    let annexSent = 0;
    let annexMade = 0;
    let annexDup = 0;
    for (const m of completing) {
      const originHosted = lab.world.municipalities.find((x) => x.lgCode === m.origin)?.hosted === true;
      for (const p of m.people) {
        annexSent++;
        let n: number;
        if (originHosted) {
          const r = await sql<{ n: number }>`
            select count(*)::int as n from register.annex_notice
            where lg_code = ${m.origin} and resident_code = ${p.residentCode} and reason = 'moveIn'`.execute(
            a,
          );
          n = r.rows[0]!.n;
        } else {
          n = [...state.messages.values()].filter(
            (x) =>
              x.envelope.kind === "annexNotice" &&
              x.envelope.to === m.origin &&
              (x.envelope.body as { persons: { residentCode: string }[] }).persons.some(
                (q) => q.residentCode === p.residentCode,
              ),
          ).length;
        }
        if (n > 0) annexMade++;
        annexDup += Math.max(0, n - 1);
      }
    }
    rows.push({
      what: "附票通知 → 本籍地",
      sent: annexSent,
      delivered: annexMade,
      duplicated: annexDup,
      lost: annexSent - annexMade,
      outOfOrder: 0,
    });
    if (annexDup > 0) problems.push(`${annexDup} extra 附票 entries at the 本籍地`);
    if (annexMade !== annexSent)
      problems.push(`${annexSent - annexMade} 附票通知 never recorded at the 本籍地`);
  }

  // 転居: each person's address changed once, in the same municipality, still active there.
  const relocations = moves.filter((m) => m.kind === "relocation" && m.expected === "completed");
  if (relocations.length > 0) {
    const people = relocations.flatMap((m) => m.people.map((p) => ({ m, p })));
    const found = await sql<{ resident_code: string; lg_code: string; status: string; n: number }>`
      select r.resident_code, r.lg_code, r.status, count(c.id)::int as n
      from register.resident r
      left join register.resident_change c on c.resident_id = r.id and c.kind = 'relocation'
      where r.resident_code = any(${people.map(({ p }) => p.residentCode)}) group by 1, 2, 3`.execute(a);
    let made = 0;
    let dup = 0;
    for (const { m, p } of people) {
      const rows = found.rows.filter((r) => r.resident_code === p.residentCode);
      const here = rows.find((r) => r.lg_code === m.origin);
      if (rows.length === 1 && here?.status === "active" && here.n >= 1) made++;
      dup += Math.max(0, (here?.n ?? 0) - 1);
    }
    rows.push({
      what: "転居予約 → 転居 in the register",
      sent: people.length,
      delivered: made,
      duplicated: dup,
      lost: people.length - made,
      outOfOrder: 0,
    });
    if (dup > 0) problems.push(`${dup} extra 転居 change(s)`);
    if (made !== people.length)
      problems.push(`${people.length - made} person(s) whose 転居 was not recorded`);
  }

  // Expiry (both municipalities hosted): nobody came, the sweep closed the reservation as 期限切れ
  // and the origin's case too, the 転出 stays scheduled (decision 009), nobody was registered at
  // the destination; the portal said 期限切れ once (the history row above counts repeats).
  const expired = moves.filter((m) => m.expected === "expired");
  if (expired.length > 0) {
    let made = 0;
    for (const m of expired) {
      const resv = await a
        .selectFrom("register.reservation")
        .select("status")
        .where("application_id", "=", m.applicationId)
        .execute();
      const cases = await a
        .selectFrom("register.move_case")
        .select(["lg_code", "status"])
        .where("application_id", "=", m.applicationId)
        .execute();
      const records = await sql<{ lg_code: string; status: string }>`
        select lg_code, status from register.resident
        where resident_code = any(${m.people.map((p) => p.residentCode)})`.execute(a);
      const failed = [
        resv.length === 1 && resv[0]!.status === "expired"
          ? ""
          : `reservations ${resv.map((r: { status: string }) => r.status).join(", ") || "none"}`,
        cases.length === 1 && cases[0]!.status === "expired"
          ? ""
          : `move cases ${cases.map((c: { status: string }) => c.status).join(", ") || "none"}`,
        records.rows.length === m.people.length &&
        records.rows.every((r) => r.lg_code === m.origin && r.status === "moveOutScheduled")
          ? ""
          : "records not (only) 転出予定 at the origin",
      ].filter(Boolean);
      if (failed.length === 0) made++;
      else problems.push(`expired application ${m.applicationId}: ${failed.join("; ")}`);
    }
    rows.push({
      what: "期限切れ → reservation and case closed, 転出 kept",
      sent: expired.length,
      delivered: made,
      duplicated: 0,
      lost: expired.length - made,
      outOfOrder: 0,
    });
    if (made !== expired.length)
      problems.push(`${expired.length - made} expired application(s) not closed as expected`);
  }

  // Cancellations (both municipalities hosted): the origin cancelled each person's scheduled 転出
  // once (or never scheduled it: the cancellation overtook the intake), nobody was registered at
  // the destination, no reservation is left open, and both sides closed their move case.
  const cancelled = moves.filter((m) => m.expected === "cancelled");
  if (cancelled.length > 0) {
    let made = 0;
    let dup = 0;
    for (const m of cancelled) {
      const codes = m.people.map((p) => p.residentCode);
      const kinds = await sql<{ lg_code: string; status: string; kind: string | null; n: number }>`
        select r.lg_code, r.status, c.kind, count(c.id)::int as n
        from register.resident r
        left join register.resident_change c
          on c.resident_id = r.id and c.kind in ('moveOut', 'moveOutCancel', 'moveOutConfirm', 'specialMoveIn')
        where r.resident_code = any(${codes}) group by 1, 2, 3`.execute(a);
      const count = (lg: string, kind: string) =>
        kinds.rows.filter((r) => r.lg_code === lg && r.kind === kind).reduce((x, r) => x + r.n, 0);
      const atOrigin = kinds.rows.filter((r) => r.lg_code === m.origin);
      const scheduled = count(m.origin, "moveOut");
      const undone = count(m.origin, "moveOutCancel");
      dup += Math.max(0, undone - m.people.length) + Math.max(0, scheduled - m.people.length);
      const open = await a
        .selectFrom("register.reservation")
        .select("status")
        .where("application_id", "=", m.applicationId)
        .where("status", "in", ["waiting", "completed"])
        .execute();
      const cases = await a
        .selectFrom("register.move_case")
        .select("status")
        .where("application_id", "=", m.applicationId)
        .execute();
      const failed = [
        atOrigin.length > 0 && atOrigin.every((r) => r.status === "active")
          ? ""
          : "records not active at the origin",
        scheduled === undone ? "" : `${scheduled} 転出 scheduled, ${undone} cancelled`,
        count(m.origin, "moveOutConfirm") === 0 ? "" : "転出 confirmed",
        count(m.destination, "specialMoveIn") === 0 ? "" : "registered at the destination",
        open.length === 0 ? "" : `reservation ${open.map((r: { status: string }) => r.status).join(", ")}`,
        cases.every((c: { status: string }) => c.status === "cancelled")
          ? ""
          : `move cases ${cases.map((c: { status: string }) => c.status).join(", ")}`,
      ].filter(Boolean);
      if (failed.length === 0) made++;
      else problems.push(`cancelled application ${m.applicationId}: ${failed.join("; ")}`);
    }
    rows.push({
      what: "取り消し → 転出 cancelled, reservation dropped",
      sent: cancelled.length,
      delivered: made,
      duplicated: dup,
      lost: cancelled.length - made,
      outOfOrder: 0,
    });
    if (dup > 0) problems.push(`${dup} extra 転出 or cancellation change(s) of cancelled applications`);
    if (made !== cancelled.length)
      problems.push(`${cancelled.length - made} cancelled application(s) not undone on both sides`);
  }

  // 7. Downstream address systems: each event applied once, each person's in order.
  const address = (await (await fetch(`${lab.addressSystems.url}/stats`)).json()) as {
    received: number;
    repeats: number;
    outOfOrder: number;
  };
  rows.push({
    what: "address events (宛名 systems)",
    sent: address.received,
    delivered: address.received,
    duplicated: 0,
    lost: 0,
    outOfOrder: address.outOfOrder,
    note: `${address.repeats} repeats answered without a second effect; sent = distinct events received`,
  });
  if (address.outOfOrder > 0) problems.push(`${address.outOfOrder} address event(s) out of order`);

  // 8. The stand-in origin's side: one move-out case and one 転出証明書情報 per forwarded application.
  const fromStandIn = moves.filter((m) => m.kind === "fromStandIn");
  if (fromStandIn.length > 0) {
    const generated = new Map<string, number>();
    for (const msg of state.messages.values()) {
      if (msg.generated && msg.envelope.kind === "moveOutCertificate" && msg.envelope.applicationId) {
        generated.set(msg.envelope.applicationId, (generated.get(msg.envelope.applicationId) ?? 0) + 1);
      }
    }
    const dup = fromStandIn.reduce((s, m) => s + Math.max(0, (generated.get(m.applicationId) ?? 0) - 1), 0);
    const made = fromStandIn.filter((m) => state.moveOuts.has(m.applicationId)).length;
    rows.push({
      what: "moveOutRequest → stand-in origin",
      sent: fromStandIn.length,
      delivered: made,
      duplicated: dup,
      lost: fromStandIn.length - made,
      outOfOrder: 0,
    });
    if (dup > 0) problems.push(`${dup} extra 転出証明書情報 from the stand-in origin`);
  }
  return { rows, problems, finalStates };
}

/** The table, Jepsen style. */
export function formatReport(title: string, report: Report, lab: Lab): string {
  const c = lab.counters;
  const head = ["", "sent", "delivered", "dup-effects", "lost", "out-of-order"];
  const width = Math.max(...report.rows.map((r) => r.what.length), 10) + 2;
  const lines = [
    `== ${title}`,
    `faults: worker SIGKILLs ${c.kills}, worker starts ${c.workerStarts}, unexpected worker exits ${c.unexpectedExits.length}, Redis restarts ${c.redisRestarts}, Redis FLUSHALLs ${c.redisFlushes}, PostgreSQL stops ${c.postgresStops}`,
    head[0]!.padEnd(width) +
      head
        .slice(1)
        .map((h) => h.padStart(13))
        .join(""),
  ];
  for (const r of report.rows) {
    lines.push(
      r.what.padEnd(width) +
        [r.sent, r.delivered, r.duplicated, r.lost, r.outOfOrder]
          .map((n) => String(n).padStart(13))
          .join("") +
        (r.note ? `   (${r.note})` : ""),
    );
  }
  const stats = lab.jukiNet.system.state;
  lines.push(
    `network: identity entries applied ${stats.identityApplied}, messages stored ${stats.messages.size}`,
  );
  lines.push(
    report.problems.length === 0 ? "result: valid" : `result: INVALID\n  - ${report.problems.join("\n  - ")}`,
  );
  return lines.join("\n");
}

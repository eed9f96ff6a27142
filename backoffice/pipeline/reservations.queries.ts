import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ReservationKind, ReservationStatus } from "../../db/types/pipeline.js";

type Db = Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>;

export interface NewReservation {
  id: string;
  lgCode: string;
  applicationId: string | null;
  receiptNumber: string | null;
  certificateId: string;
  originLgCode: string;
  messageId: string;
  people: unknown;
  plannedMoveOutDate: string;
  plannedVisitDate: string | null;
  certificate: unknown;
  kind?: ReservationKind;
  /** A reservation made for an application the resident already cancelled (kept for the record). */
  status?: ReservationStatus;
}

/** Inserts a reservation; false when the application already has one at this municipality. */
export async function insertReservation(db: Db, r: NewReservation): Promise<boolean> {
  const result = await db
    .insertInto("register.reservation")
    .values({
      id: r.id,
      lg_code: r.lgCode,
      application_id: r.applicationId,
      receipt_number: r.receiptNumber,
      certificate_id: r.certificateId,
      origin_lg_code: r.originLgCode,
      message_id: r.messageId,
      people: JSON.stringify(r.people),
      planned_move_out_date: r.plannedMoveOutDate,
      planned_visit_date: r.plannedVisitDate,
      certificate: JSON.stringify(r.certificate),
      ...(r.kind ? { kind: r.kind } : {}),
      ...(r.status ? { status: r.status, closed_at: r.status === "waiting" ? null : new Date() } : {}),
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export interface ReservationRow {
  id: string;
  lgCode: string;
  kind: ReservationKind;
  applicationId: string | null;
  receiptNumber: string | null;
  originLgCode: string;
  status: ReservationStatus;
  plannedMoveOutDate: string;
  plannedVisitDate: string | null;
  people: unknown;
}

export async function reservationsOf(db: Db, applicationId: string): Promise<ReservationRow[]> {
  const rows = await db
    .selectFrom("register.reservation")
    .select([
      "id",
      "lg_code",
      "kind",
      "application_id",
      "receipt_number",
      "origin_lg_code",
      "status",
      "planned_move_out_date",
      "planned_visit_date",
      "people",
    ])
    .where("application_id", "=", applicationId)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    lgCode: r.lg_code,
    kind: r.kind,
    applicationId: r.application_id,
    receiptNumber: r.receipt_number,
    originLgCode: r.origin_lg_code,
    status: r.status,
    plannedMoveOutDate: String(r.planned_move_out_date),
    plannedVisitDate: r.planned_visit_date === null ? null : String(r.planned_visit_date),
    people: r.people,
  }));
}

/** A reservation with what its completion needs, locked until the transaction ends. */
export interface LockedReservation extends ReservationRow {
  certificate: unknown;
  completionRequestKey: string | null;
  completion: unknown;
}

function lockedFrom(r: {
  id: string;
  lg_code: string;
  kind: ReservationKind;
  application_id: string | null;
  receipt_number: string | null;
  origin_lg_code: string;
  status: ReservationStatus;
  planned_move_out_date: string;
  planned_visit_date: string | null;
  people: unknown;
  certificate: unknown;
  completion_request_key: string | null;
  completion: unknown;
}): LockedReservation {
  return {
    id: r.id,
    lgCode: r.lg_code,
    kind: r.kind,
    applicationId: r.application_id,
    receiptNumber: r.receipt_number,
    originLgCode: r.origin_lg_code,
    status: r.status,
    plannedMoveOutDate: String(r.planned_move_out_date),
    plannedVisitDate: r.planned_visit_date === null ? null : String(r.planned_visit_date),
    people: r.people,
    certificate: r.certificate,
    completionRequestKey: r.completion_request_key,
    completion: r.completion,
  };
}

const lockedColumns = [
  "id",
  "lg_code",
  "kind",
  "application_id",
  "receipt_number",
  "origin_lg_code",
  "status",
  "planned_move_out_date",
  "planned_visit_date",
  "people",
  "certificate",
  "completion_request_key",
  "completion",
] as const;

export async function lockReservation(
  trx: Db,
  lgCode: string,
  id: string,
): Promise<LockedReservation | undefined> {
  const row = await trx
    .selectFrom("register.reservation")
    .select(lockedColumns)
    .where("id", "=", id)
    .where("lg_code", "=", lgCode)
    .forUpdate()
    .executeTakeFirst();
  return row ? lockedFrom(row) : undefined;
}

/** The application's reservations at hosted municipalities (any of them), locked. */
export async function lockReservationsOfApplication(
  trx: Db,
  applicationId: string,
  lgCode?: string,
): Promise<LockedReservation[]> {
  let q = trx
    .selectFrom("register.reservation")
    .select(lockedColumns)
    .where("application_id", "=", applicationId);
  if (lgCode) q = q.where("lg_code", "=", lgCode);
  const rows = await q.orderBy("id").forUpdate().execute();
  return rows.map(lockedFrom);
}

export async function closeReservation(
  trx: Db,
  id: string,
  status: "completed" | "cancelled" | "expired",
  now: Date,
  completion?: { requestKey: string; result: unknown },
): Promise<void> {
  await trx
    .updateTable("register.reservation")
    .set({
      status,
      closed_at: now,
      updated_at: now,
      ...(completion
        ? { completion_request_key: completion.requestKey, completion: JSON.stringify(completion.result) }
        : {}),
    })
    .where("id", "=", id)
    .execute();
}

/** Waiting reservations planned before `plannedBefore` (of a kind), one batch, skipping locked ones. */
export async function lockWaitingPlannedBefore(
  trx: Db,
  kind: ReservationKind,
  plannedBefore: string,
  limit: number,
): Promise<LockedReservation[]> {
  const rows = await trx
    .selectFrom("register.reservation")
    .select(lockedColumns)
    .where("status", "=", "waiting")
    .where("kind", "=", kind)
    .where("planned_move_out_date", "<", plannedBefore)
    .orderBy("planned_move_out_date")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(lockedFrom);
}

/** A waiting 転居予約 that already holds one of these residents (one pending 転居 per person). */
export async function waitingRelocationOf(trx: Db, lgCode: string, residentIds: string[]): Promise<boolean> {
  for (const residentId of residentIds) {
    const hit = await trx
      .selectFrom("register.reservation")
      .select("id")
      .where("lg_code", "=", lgCode)
      .where("kind", "=", "relocation")
      .where("status", "=", "waiting")
      .where(sql<boolean>`people @> ${JSON.stringify([{ residentId }])}::jsonb`)
      .executeTakeFirst();
    if (hit) return true;
  }
  return false;
}

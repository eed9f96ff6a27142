import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ReservationStatus } from "../../db/types/pipeline.js";

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
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export interface ReservationRow {
  id: string;
  lgCode: string;
  applicationId: string | null;
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
      "application_id",
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
    applicationId: r.application_id,
    originLgCode: r.origin_lg_code,
    status: r.status,
    plannedMoveOutDate: String(r.planned_move_out_date),
    plannedVisitDate: r.planned_visit_date === null ? null : String(r.planned_visit_date),
    people: r.people,
  }));
}

import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { StaffSession } from "../auth/session.server.js";
import { appendAudit } from "../register/audit.js";
import { getReservation, type ReservationDetail } from "./reservations.queries.js";

/**
 * Opening a reservation shows personal data (the 転出証明書情報): the view is audited like a
 * record view (`reservation.view`, with the purpose), in the same transaction as the read.
 * Another municipality's reservation is not found (and audited as such).
 */
export async function viewReservation(
  db: Kysely<BackofficeDatabase>,
  staff: StaffSession,
  id: string,
  purpose = "転入・転居予約の確認（窓口）",
): Promise<ReservationDetail | undefined> {
  return db.transaction().execute(async (trx) => {
    const reservation = await getReservation(trx, staff.lgCode, id);
    await appendAudit(trx, {
      lgCode: staff.lgCode,
      actor: { staffId: staff.staffId, role: staff.roles.join(",") },
      action: "reservation.view",
      purpose,
      detail: { found: Boolean(reservation), ...(reservation ? { reservationId: reservation.id } : {}) },
    });
    return reservation;
  });
}

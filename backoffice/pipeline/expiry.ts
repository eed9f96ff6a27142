/**
 * Reservation expiry (issue 5, item 4; decision 009). A reservation nobody came to the counter
 * for becomes 期限切れ the day after its deadline (`reservationDeadline`: 転入予約 30 days after
 * the planned move-out date, 転居予約 14 days after the planned move), and the portal is told.
 *
 * The origin's scheduled 転出 is NOT cancelled: the resident filed a 転出届 and may well have moved;
 * only the online route (特例転入) is over. The origin marks its case 期限切れ for staff to follow
 * up: the resident gets a paper 転出証明書 at the origin and files an ordinary 転入 (whose 転入通知
 * then confirms the 転出 as usual), or files a 転出取消 if they did not move. When the destination
 * is a stand-in municipality, the origin is the one that tells the portal.
 *
 * `today` is passed in (the register never reads the clock for dates); the worker runs this
 * periodically, tests call it with the day they need.
 */
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { loadMunicipality } from "../register/records.queries.js";
import { addDays, type IsoDate } from "../register/time-rules.js";
import { tellPortal } from "./intake.js";
import { lockOpenOriginCasesPlannedBefore, setMoveCaseStatus } from "./move-cases.queries.js";
import { closeReservation, lockWaitingPlannedBefore } from "./reservations.queries.js";

export interface SweepResult {
  reservations: number;
  originCases: number;
}

export async function sweepExpired(
  db: Kysely<BackofficeDatabase>,
  today: IsoDate,
  opts: { batch?: number; now?: () => Date } = {},
): Promise<SweepResult> {
  const batch = opts.batch ?? 100;
  const now = opts.now ?? (() => new Date());
  const result: SweepResult = { reservations: 0, originCases: 0 };
  // planned + N < today  ⇔  planned < today − N
  for (const [kind, days] of [
    ["moveOut", 30],
    ["relocation", 14],
  ] as const) {
    for (;;) {
      const n = await db.transaction().execute(async (trx) => {
        const due = await lockWaitingPlannedBefore(trx, kind, addDays(today, -days), batch);
        for (const r of due) {
          await closeReservation(trx, r.id, "expired", now());
          if (r.applicationId) await tellPortal(trx, r.lgCode, r.applicationId, "expired");
        }
        return due.length;
      });
      result.reservations += n;
      if (n < batch) break;
    }
  }
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      const due = await lockOpenOriginCasesPlannedBefore(trx, addDays(today, -30), batch);
      for (const c of due) {
        await setMoveCaseStatus(trx, c.lgCode, c.applicationId, "expired", now());
        const destination = await loadMunicipality(trx, c.counterpartLgCode);
        if (!destination?.hosted) await tellPortal(trx, c.lgCode, c.applicationId, "expired");
      }
      return due.length;
    });
    result.originCases += n;
    if (n < batch) break;
  }
  return result;
}

/**
 * 転居 intake (issue 5): an online 転居予約, signed with the resident's card, checked like a 転出
 * (signature — done by the processor —, matching by the four items, eligibility) and kept as a
 * counter reservation in the same municipality. Nothing changes in the register until the counter
 * completes it (a 転居届 is filed after moving; `completeRelocation`). The portal goes straight
 * from 受付済み to 来庁待ち: there is no 転出, so no 転出受理 (decision 009).
 */
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import { getResident } from "../register/records.queries.js";
import { onlineMoveOutWindowOpen } from "../register/time-rules.js";
import type { RelocationFiling } from "./completion.js";
import {
  type IntakeOutcome,
  matchPeople,
  type ReturnReason,
  returnApplication,
  tellPortal,
} from "./intake.js";
import { insertReservation, waitingRelocationOf } from "./reservations.queries.js";

type Trx = Transaction<BackofficeDatabase>;

export type RelocationIntakeOutcome =
  | { kind: "reserved"; reservationId: string; residentIds: string[] }
  | Extract<IntakeOutcome, { kind: "returned" }>;

export async function acceptRelocation(
  trx: Trx,
  doc: ApplicationDocument,
  deps: { today: string; messageId: string; newId: () => string; receiptNumber?: string | undefined },
): Promise<RelocationIntakeOutcome> {
  const lgCode = doc.origin.lgCode;
  const back = (reason: ReturnReason) =>
    returnApplication(trx, lgCode, doc.applicationId, reason) as Promise<RelocationIntakeOutcome>;
  if (doc.destination.lgCode !== lgCode) return back("malformedApplication");
  if (!onlineMoveOutWindowOpen(doc.plannedMoveDate, deps.today)) return back("outsideWindow");
  const matched = await matchPeople(trx, lgCode, doc);
  if (!matched.ok) return back("noRecordMatched");
  // Someone already moving out, or already holding a 転居予約, cannot file another move.
  if (matched.statuses.some((s) => s !== "active")) return back("alreadyMoving");
  if (await waitingRelocationOf(trx, lgCode, matched.ids)) return back("alreadyMoving");

  const people = [];
  let householdId = "";
  for (const id of matched.ids) {
    const row = await getResident(trx, id);
    if (!row) throw new Error("resident disappeared during intake");
    householdId = householdId || row.household_id;
    people.push({
      residentId: id,
      residentCode: row.resident_code,
      name: {
        family: row.family_name,
        given: row.given_name,
        familyKana: row.family_kana,
        givenKana: row.given_kana,
      },
      birthDate: String(row.birth_date),
      sex: row.sex,
      relationship: row.relationship,
      householdHead: row.relationship === "世帯主",
    });
  }
  const d = doc.destination;
  const filing: RelocationFiling = {
    kind: "relocation",
    applicationId: doc.applicationId,
    residentIds: matched.ids,
    householdId,
    address: { town: d.town, chome: d.chome ?? 0, block: d.block, lot: d.lot, building: d.building },
    plannedMoveDate: doc.plannedMoveDate,
    plannedVisitDate: doc.plannedVisitDate ?? null,
    filedOn: doc.filedOn,
  };
  const id = deps.newId();
  const inserted = await insertReservation(trx, {
    id,
    lgCode,
    kind: "relocation",
    applicationId: doc.applicationId,
    receiptNumber: deps.receiptNumber ?? null,
    certificateId: `relocation:${doc.applicationId}`,
    originLgCode: lgCode,
    messageId: deps.messageId,
    people,
    plannedMoveOutDate: doc.plannedMoveDate,
    plannedVisitDate: doc.plannedVisitDate ?? null,
    certificate: filing,
  });
  if (!inserted) return back("alreadyMoving");
  await tellPortal(trx, lgCode, doc.applicationId, "awaitingVisit");
  return { kind: "reserved", reservationId: id, residentIds: matched.ids };
}

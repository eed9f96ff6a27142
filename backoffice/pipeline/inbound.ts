/**
 * At the destination (issue 5, item 4): what a 住基ネット message that arrived in a hosted
 * municipality's mailbox does, in the inbox's transaction. A 転出証明書情報 becomes a counter
 * reservation (来庁待ち); a refusal from a stand-in origin becomes 差戻し.
 */
import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { Envelope, MessageBody } from "../../mocks/juki-net/protocol.js";
import { loadMunicipality } from "../register/records.queries.js";
import { type ReturnReason, tellPortal } from "./intake.js";
import { insertReservation } from "./reservations.queries.js";

type Trx = Transaction<BackofficeDatabase>;

export type InboundOutcome =
  | { kind: "reserved"; reservationId: string }
  | { kind: "alreadyReserved" }
  | { kind: "returned"; reason: ReturnReason }
  | { kind: "notHandled" };

export async function reserveFromCertificate(trx: Trx, envelope: Envelope): Promise<InboundOutcome> {
  const body = envelope.body as MessageBody<"moveOutCertificate">;
  const lgCode = envelope.to;
  const applicationId = body.applicationId ?? envelope.applicationId ?? null;
  const id = randomUUID();
  const inserted = await insertReservation(trx, {
    id,
    lgCode,
    applicationId,
    receiptNumber: null,
    certificateId: body.certificateId,
    originLgCode: envelope.from,
    messageId: envelope.id,
    people: body.persons.map((p) => ({
      residentCode: p.residentCode,
      name: p.name,
      birthDate: p.birthDate,
      sex: p.sex,
      relationship: p.relationship,
      householdHead: p.householdHead,
    })),
    plannedMoveOutDate: body.plannedMoveOutDate,
    plannedVisitDate: body.plannedVisitDate ?? null,
    certificate: body,
  });
  if (!inserted) return { kind: "alreadyReserved" };
  if (applicationId) {
    // A hosted origin said 転出受理 itself; for a stand-in origin the certificate is the acceptance.
    const origin = await loadMunicipality(trx, envelope.from);
    if (!origin?.hosted) await tellPortal(trx, lgCode, applicationId, "moveOutAccepted");
    await tellPortal(trx, lgCode, applicationId, "awaitingVisit");
  }
  return { kind: "reserved", reservationId: id };
}

const refusalReason: Record<MessageBody<"moveOutRefused">["reason"], ReturnReason> = {
  noRecord: "noRecordMatched",
  removed: "noRecordMatched",
  alreadyMoving: "alreadyMoving",
  wrongMunicipality: "malformedApplication",
};

export async function applyRefusal(trx: Trx, envelope: Envelope): Promise<InboundOutcome> {
  const body = envelope.body as MessageBody<"moveOutRefused">;
  const reason = refusalReason[body.reason];
  await tellPortal(trx, envelope.to, body.applicationId, "returned", reason);
  return { kind: "returned", reason };
}

export async function applyInbound(trx: Trx, envelope: Envelope): Promise<InboundOutcome> {
  if (envelope.kind === "moveOutCertificate") return reserveFromCertificate(trx, envelope);
  if (envelope.kind === "moveOutRefused") return applyRefusal(trx, envelope);
  return { kind: "notHandled" };
}

/**
 * What a 住基ネット message that arrived in a hosted municipality's mailbox does, in the inbox's
 * transaction (issue 5; decisions 008 and 009):
 * - 転出証明書情報 → a counter reservation (来庁待ち); moveOutRefused → 差戻し;
 * - 転入通知 (at the origin) → 転出確定 (register moveOutConfirm: 除票, identity information 消除);
 * - 附票通知 (at the 本籍地) → its 戸籍の附票 entries (register.annex_notice);
 * - moveOutCancel (at the destination) → the reservation is dropped unless completed, and
 *   moveOutCancelled answers; moveOutCancelled (at the origin) → the scheduled 転出 is cancelled,
 *   or the portal hears that the cancellation came too late;
 * - anything else (e.g. a moveOutRequest to a hosted origin, which the hosted destination never
 *   sends) is acknowledged and ignored: no message stays in the dead-letter state for its kind.
 */
import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { type Envelope, type MessageBody, newEnvelope } from "../../mocks/juki-net/protocol.js";
import { moveOutConfirm } from "../register/commands/index.js";
import { loadMunicipality } from "../register/records.queries.js";
import { CANCEL_REFUSED_COMPLETED, cancelScheduledMoveOut, type PipelineStepDeps } from "./cancellation.js";
import { type ReturnReason, tellPortal } from "./intake.js";
import {
  insertAnnexEntries,
  lockMoveCases,
  residentsByCode,
  setMoveCaseStatus,
} from "./move-cases.queries.js";
import { writeOutboundMessage } from "./outbound.js";
import {
  closeReservation,
  insertReservation,
  lockReservationsOfApplication,
} from "./reservations.queries.js";

type Trx = Transaction<BackofficeDatabase>;

export type InboundOutcome =
  | { kind: "reserved"; reservationId: string }
  | { kind: "alreadyReserved" }
  | { kind: "reservedCancelled"; reservationId: string }
  | { kind: "returned"; reason: ReturnReason }
  | { kind: "moveOutConfirmed"; residentIds: string[] }
  | { kind: "annexRecorded"; entries: number }
  | { kind: "cancelAnswered"; result: MessageBody<"moveOutCancelled">["result"] }
  | { kind: "cancellationApplied"; result: MessageBody<"moveOutCancelled">["result"] }
  | { kind: "ignored"; why: string };

export async function reserveFromCertificate(trx: Trx, envelope: Envelope): Promise<InboundOutcome> {
  const body = envelope.body as MessageBody<"moveOutCertificate">;
  const lgCode = envelope.to;
  const applicationId = body.applicationId ?? envelope.applicationId ?? null;
  // The resident cancelled while the stand-in origin was still answering the forwarded request:
  // the reservation is kept for the record, already cancelled.
  const cancelled =
    applicationId !== null &&
    (await lockMoveCases(trx, applicationId)).some(
      (c) => c.lgCode === lgCode && c.role === "forwarder" && c.status === "cancelled",
    );
  const id = randomUUID();
  const inserted = await insertReservation(trx, {
    id,
    lgCode,
    applicationId,
    receiptNumber: body.receiptNumber ?? null,
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
    ...(cancelled ? { status: "cancelled" as const } : {}),
  });
  if (!inserted) return { kind: "alreadyReserved" };
  if (cancelled) return { kind: "reservedCancelled", reservationId: id };
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

/**
 * 転入通知 at the origin: the people's scheduled 転出 is confirmed (除票 as of the day they moved
 * in; identity information 消除 through the register's outbox). A person no longer 転出予定 (already
 * confirmed) is skipped. When the destination is a stand-in, nobody else can tell the portal 完了.
 */
export async function confirmMoveOut(trx: Trx, envelope: Envelope, deps: PipelineStepDeps) {
  const body = envelope.body as MessageBody<"moveInNotice">;
  const lgCode = envelope.to;
  const rows = await residentsByCode(
    trx,
    lgCode,
    body.persons.map((p) => p.residentCode),
  );
  const scheduled = rows.filter((r) => r.status === "moveOutScheduled").map((r) => r.id);
  if (scheduled.length > 0) {
    await moveOutConfirm(
      { db: trx, keys: deps.keys, actor: { system: "moveInNotice" }, today: deps.today },
      {
        requestKey: `move-in-notice:${envelope.id}`,
        lgCode,
        residentIds: scheduled,
        movedOutOn: [body.movedInOn, deps.today].sort()[0]!,
        destination: { lgCode: body.destination.lgCode, address: body.destination.address.line },
      },
    );
  }
  const applicationId = body.applicationId ?? envelope.applicationId;
  if (applicationId) {
    const origin = (await lockMoveCases(trx, applicationId)).find(
      (c) => c.lgCode === lgCode && c.role === "origin",
    );
    if (origin) await setMoveCaseStatus(trx, lgCode, applicationId, "confirmed", deps.now);
    const destination = await loadMunicipality(trx, envelope.from);
    if (!destination?.hosted) await tellPortal(trx, lgCode, applicationId, "completed");
  }
  return { kind: "moveOutConfirmed", residentIds: scheduled } as const;
}

/** 附票通知 at the 本籍地: one 戸籍の附票 entry per person (idempotent by message and position). */
export async function recordAnnex(trx: Trx, envelope: Envelope): Promise<InboundOutcome> {
  const body = envelope.body as MessageBody<"annexNotice">;
  const entries = await insertAnnexEntries(
    trx,
    body.persons.map((p, position) => ({
      messageId: envelope.id,
      position,
      lgCode: envelope.to,
      fromLgCode: envelope.from,
      residentCode: p.residentCode,
      person: p,
      addressSetOn: p.addressSetOn,
      reason: p.reason,
    })),
  );
  return { kind: "annexRecorded", entries };
}

/** moveOutCancel at the destination: drop the reservation unless completed, and answer. */
export async function answerCancel(trx: Trx, envelope: Envelope, deps: PipelineStepDeps) {
  const body = envelope.body as MessageBody<"moveOutCancel">;
  const reservations = await lockReservationsOfApplication(trx, body.applicationId, envelope.to);
  let result: MessageBody<"moveOutCancelled">["result"] = "unknown";
  const r = reservations[0];
  if (r) {
    if (r.status === "completed") result = "alreadyCompleted";
    else {
      result = "cancelled";
      if (r.status === "waiting") await closeReservation(trx, r.id, "cancelled", deps.now);
    }
  }
  await writeOutboundMessage(
    trx,
    newEnvelope(
      {
        kind: "moveOutCancelled",
        from: envelope.to,
        to: envelope.from,
        inReplyTo: envelope.id,
        applicationId: body.applicationId,
        body: { applicationId: body.applicationId, result },
      },
      deps.now,
    ),
    deps.sign,
  );
  return { kind: "cancelAnswered", result } as const;
}

/** moveOutCancelled at the origin (or at a destination that asked a stand-in origin). */
export async function applyCancelAnswer(trx: Trx, envelope: Envelope, deps: PipelineStepDeps) {
  const body = envelope.body as MessageBody<"moveOutCancelled">;
  const c = (await lockMoveCases(trx, body.applicationId)).find(
    (x) => x.lgCode === envelope.to && x.role === "origin",
  );
  if (!c) {
    // A destination that cancelled first (stand-in origin): the answer closes the exchange.
    return { kind: "cancellationApplied", result: body.result } as const;
  }
  if (body.result === "alreadyCompleted") {
    // The destination completed first: the 転入通知 confirms (or has confirmed) the 転出.
    if (c.status === "cancelling")
      await setMoveCaseStatus(trx, c.lgCode, c.applicationId, "scheduled", deps.now);
    await tellPortal(trx, c.lgCode, c.applicationId, "completed", CANCEL_REFUSED_COMPLETED);
  } else if (c.status === "cancelling" || c.status === "scheduled" || c.status === "expired") {
    await cancelScheduledMoveOut(trx, c, deps);
    await tellPortal(trx, c.lgCode, c.applicationId, "cancelled");
  }
  return { kind: "cancellationApplied", result: body.result } as const;
}

export async function applyInbound(
  trx: Trx,
  envelope: Envelope,
  deps: PipelineStepDeps,
): Promise<InboundOutcome> {
  switch (envelope.kind) {
    case "moveOutCertificate":
      return reserveFromCertificate(trx, envelope);
    case "moveOutRefused":
      return applyRefusal(trx, envelope);
    case "moveInNotice":
      return confirmMoveOut(trx, envelope, deps);
    case "annexNotice":
      return recordAnnex(trx, envelope);
    case "moveOutCancel":
      return answerCancel(trx, envelope, deps);
    case "moveOutCancelled":
      return applyCancelAnswer(trx, envelope, deps);
    default:
      return { kind: "ignored", why: `${envelope.kind} is not expected by a hosted municipality` };
  }
}

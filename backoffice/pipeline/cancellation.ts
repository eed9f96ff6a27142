/**
 * Online cancellation (issue 5, item 5): the resident pressed 「取り消す」 in the portal (which shows
 * 取消済み at once) and the `cancellation` job reached the closed zone. The party that completes a
 * move decides whether it can still be cancelled, so that a cancellation and a completion at the
 * counter can never both happen (decision 009):
 *
 * - 転居予約 (same municipality): the reservation is dropped unless the counter completed it.
 * - hosted origin: the 転出 stays scheduled while the origin asks the destination
 *   (`moveOutCancel`); the destination drops its reservation and answers `moveOutCancelled`
 *   (cancelled, or alreadyCompleted); only then does the origin cancel the scheduled 転出 (register
 *   command moveOutCancel) — or, when the destination had completed, tell the portal 完了 with the
 *   reason `cancelRefusedCompleted`.
 * - stand-in origin (the hosted destination forwarded the application): the destination drops its
 *   reservation (or notes the cancellation if the certificate has not arrived yet) and sends
 *   `moveOutCancel` to the origin, which answers `moveOutCancelled`.
 * - nothing known yet (the cancellation overtook the intake): a cancelled case is recorded so the
 *   intake, when it comes, does nothing.
 */
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { type Envelope, newEnvelope } from "../../mocks/juki-net/protocol.js";
import { moveOutCancel } from "../register/commands/index.js";
import type { MyNumberKeys } from "../register/my-number.js";
import { tellPortal } from "./intake.js";
import { insertMoveCase, lockMoveCases, type MoveCase, setMoveCaseStatus } from "./move-cases.queries.js";
import { writeOutboundMessage } from "./outbound.js";
import { closeReservation, lockReservationsOfApplication } from "./reservations.queries.js";

type Trx = Transaction<BackofficeDatabase>;

/** The reason code the portal shows when a cancellation came after the counter completed the move. */
export const CANCEL_REFUSED_COMPLETED = "cancelRefusedCompleted";

export interface PipelineStepDeps {
  keys: MyNumberKeys;
  today: string;
  now: Date;
  sign(envelope: Envelope): Promise<string>;
}

export type CancellationOutcome =
  | { kind: "cancelled" }
  | { kind: "askedDestination" }
  | { kind: "askedOrigin" }
  | { kind: "refusedCompleted" }
  | { kind: "alreadyCancelled" }
  | { kind: "recordedBeforeIntake" };

/** Whether the resident cancelled before the intake ran (the intake then does nothing). */
export async function cancelledBeforeIntake(trx: Trx, applicationId: string): Promise<boolean> {
  const cases = await lockMoveCases(trx, applicationId);
  return cases.some((c) => c.status === "cancelled" && c.residentIds.length === 0);
}

function cancelEnvelope(from: string, to: string, applicationId: string, now: Date): Envelope {
  // The second message of this application from `from` to `to` (after the 転出証明書情報 or the
  // moveOutRequest): ordered behind it at the network and at the receiver's inbox.
  return newEnvelope(
    {
      kind: "moveOutCancel",
      from,
      to,
      applicationId,
      orderingKey: applicationId,
      sequence: 2,
      body: { applicationId, reason: "residentCancelledOnline" },
    },
    now,
  );
}

/** The origin's scheduled 転出 is cancelled (register command) and the case closed. */
export async function cancelScheduledMoveOut(trx: Trx, c: MoveCase, deps: PipelineStepDeps): Promise<void> {
  const still = await trx
    .selectFrom("register.resident")
    .select("id")
    .where("id", "in", c.residentIds.length ? c.residentIds : ["00000000-0000-0000-0000-000000000000"])
    .where("status", "=", "moveOutScheduled")
    .execute();
  if (still.length > 0) {
    await moveOutCancel(
      { db: trx, keys: deps.keys, actor: { system: "cancellation" }, today: deps.today },
      {
        requestKey: `cancellation:${c.applicationId}`,
        lgCode: c.lgCode,
        residentIds: still.map((r) => r.id),
        notifiedOn: deps.today,
        reason: "オンラインでの取消",
      },
    );
  }
  await setMoveCaseStatus(trx, c.lgCode, c.applicationId, "cancelled", deps.now);
}

export async function cancelOnline(
  trx: Trx,
  lgCode: string,
  applicationId: string,
  deps: PipelineStepDeps,
): Promise<CancellationOutcome> {
  const cases = await lockMoveCases(trx, applicationId);
  const reservations = await lockReservationsOfApplication(trx, applicationId);
  const refuse = async (at: string): Promise<CancellationOutcome> => {
    await tellPortal(trx, at, applicationId, "completed", CANCEL_REFUSED_COMPLETED);
    return { kind: "refusedCompleted" };
  };

  const origin = cases.find((c) => c.role === "origin");
  if (origin) {
    if (origin.status === "confirmed") return refuse(origin.lgCode);
    if (origin.status === "cancelling" || origin.status === "cancelled") return { kind: "alreadyCancelled" };
    await setMoveCaseStatus(trx, origin.lgCode, applicationId, "cancelling", deps.now);
    await writeOutboundMessage(
      trx,
      cancelEnvelope(origin.lgCode, origin.counterpartLgCode, applicationId, deps.now),
      deps.sign,
    );
    return { kind: "askedDestination" };
  }

  const reservation = reservations[0];
  if (reservation) {
    if (reservation.status === "completed") return refuse(reservation.lgCode);
    if (reservation.status === "cancelled") return { kind: "alreadyCancelled" };
    if (reservation.status === "waiting") await closeReservation(trx, reservation.id, "cancelled", deps.now);
    if (reservation.kind === "relocation") {
      await tellPortal(trx, reservation.lgCode, applicationId, "cancelled");
      return { kind: "cancelled" };
    }
    // A 転入予約 whose origin is not hosted here (a hosted origin has its case, above).
    const forwarder = cases.find((c) => c.role === "forwarder");
    if (forwarder) await setMoveCaseStatus(trx, forwarder.lgCode, applicationId, "cancelled", deps.now);
    await writeOutboundMessage(
      trx,
      cancelEnvelope(reservation.lgCode, reservation.originLgCode, applicationId, deps.now),
      deps.sign,
    );
    await tellPortal(trx, reservation.lgCode, applicationId, "cancelled");
    return { kind: "askedOrigin" };
  }

  const forwarder = cases.find((c) => c.role === "forwarder");
  if (forwarder) {
    // The stand-in origin has not answered the moveOutRequest yet: the cancel follows it.
    if (forwarder.status === "cancelled") return { kind: "alreadyCancelled" };
    await setMoveCaseStatus(trx, forwarder.lgCode, applicationId, "cancelled", deps.now);
    await writeOutboundMessage(
      trx,
      cancelEnvelope(forwarder.lgCode, forwarder.counterpartLgCode, applicationId, deps.now),
      deps.sign,
    );
    await tellPortal(trx, forwarder.lgCode, applicationId, "cancelled");
    return { kind: "askedOrigin" };
  }

  // Nothing known: the intake has not run yet. A tombstone (a cancelled case without people)
  // makes the intake, when it comes, do nothing.
  await insertMoveCase(trx, {
    lgCode,
    applicationId,
    role: "origin",
    counterpartLgCode: lgCode,
    residentIds: [],
    plannedMoveOutDate: deps.today,
    status: "cancelled",
  });
  return { kind: "recordedBeforeIntake" };
}

import type { Transaction } from "kysely";
import type { PortalDatabase } from "../../db/types/portal.js";
import type { ApplicationStatus } from "../../jobs/queues.js";
import { addHistory, lockApplicationById, setStatus } from "./applications.queries.js";
import { canTransition, type Status } from "./status.js";

export type StatusUpdateOutcome =
  | { applied: true; from: Status; to: Status }
  | { applied: false; reason: "unknownApplication" | "notForward"; from?: Status; to: Status };

/**
 * A status sent by the back office (through the status queue): applied with its history row in
 * the caller's transaction, or ignored when it would go backwards or leave a final state (a
 * late or replayed message must not turn 完了 back into 受付済み).
 */
export async function applyBackofficeStatus(
  trx: Transaction<PortalDatabase>,
  update: {
    applicationId: string;
    status: ApplicationStatus;
    reasonCode?: string | undefined;
    messageId: string;
    now: Date;
  },
): Promise<StatusUpdateOutcome> {
  const app = await lockApplicationById(trx, update.applicationId);
  if (!app) return { applied: false, reason: "unknownApplication", to: update.status };
  if (!canTransition(app.status, update.status, "backoffice")) {
    return { applied: false, reason: "notForward", from: app.status, to: update.status };
  }
  await setStatus(trx, app.id, update.status, update.reasonCode ?? null, update.now);
  await addHistory(trx, {
    applicationId: app.id,
    status: update.status,
    reasonCode: update.reasonCode ?? null,
    actor: "backoffice",
    messageId: update.messageId,
    now: update.now,
  });
  return { applied: true, from: app.status, to: update.status };
}

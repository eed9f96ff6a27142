import type { Transaction } from "kysely";
import type { PortalDatabase } from "../../db/types/portal.js";
import { enqueue } from "../../jobs/outbox.js";
import type { Session } from "../auth/session.server.js";
import type { PortalServices } from "../services.server.js";
import { addHistory, lockApplication, setStatus } from "./applications.queries.js";
import { canCancel, transition } from "./status.js";

/**
 * The resident's 「取り消す」, on its own module: it needs only the database, so the fault runs
 * (tests/faults/harness.ts, run under plain Node by the bench too) call the portal's own code.
 */
export type CancelResult = { kind: "cancelled" } | { kind: "notCancellable" } | { kind: "notFound" };

/** 「取り消す」: status and the cancellation job in one transaction, while not yet completed. */
export async function cancelApplication(
  services: Pick<PortalServices, "db" | "now" | "logger">,
  session: Pick<Session, "holderSub">,
  id: string,
): Promise<CancelResult> {
  return services.db.transaction().execute(async (trx: Transaction<PortalDatabase>) => {
    const app = await lockApplication(trx, session.holderSub, id);
    if (!app || app.status === "draft") return { kind: "notFound" } as const;
    if (!canCancel(app.status)) return { kind: "notCancellable" } as const;
    const now = services.now();
    await setStatus(trx, app.id, transition(app.status, "cancelled", "resident"), null, now);
    await addHistory(trx, { applicationId: app.id, status: "cancelled", actor: "resident", now });
    await enqueue(trx, "portal", {
      queue: "cancellation",
      lgCode: app.originLgCode,
      data: { applicationId: app.id },
    });
    services.logger.info({ applicationId: app.id }, "application cancelled by the resident");
    return { kind: "cancelled" } as const;
  });
}

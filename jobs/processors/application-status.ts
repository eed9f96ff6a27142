import type { Transaction } from "kysely";
import type { PortalDatabase } from "../../db/types/portal.js";
import { applyBackofficeStatus } from "../../portal/applications/status-updates.js";
import { defineProcessor } from "../processor.js";

/**
 * Closed zone → portal: an application's status changed (受付済み → 転出受理 / 差戻し → 来庁待ち →
 * 完了, 取消済み, 期限切れ). Thin: the portal's domain decides; a status that would go backwards
 * is ignored (and logged), never applied.
 */
export const applicationStatusProcessor = defineProcessor({
  queue: "applicationStatus",
  consumer: "portal-application-status",
  async handle({ trx, envelope, data, logger }) {
    // The queue's consumer zone is "portal", but queues.ts types it as either zone's transaction.
    const portalTrx = trx as unknown as Transaction<PortalDatabase>;
    const outcome = await applyBackofficeStatus(portalTrx, {
      applicationId: data.applicationId,
      status: data.status,
      reasonCode: data.reasonCode,
      messageId: envelope.messageId,
      now: new Date(),
    });
    if (!outcome.applied) {
      logger.info(
        { applicationId: data.applicationId, from: outcome.from, to: outcome.to, reason: outcome.reason },
        "status update ignored",
      );
    }
  },
});

import { UnrecoverableError } from "bullmq";
import type { Transaction } from "kysely";
import { lockOutboundMessage, markOutboundAccepted } from "../../backoffice/pipeline/outbound.queries.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Closed zone → 住基ネット: sends a stored, signed message (register.outbound_message) and marks it
 * accepted. 5xx, timeouts and 409 outOfOrder throw and BullMQ retries with backoff; the network
 * answers a repeat of an accepted id with its first answer, so a retry after a lost answer is safe.
 */
export function jukiNetOutboundProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "jukiNetOutbound",
    consumer: "backoffice-juki-net-outbound",
    async handle({ trx, data, logger }) {
      const db = trx as Transaction<BackofficeDatabase>;
      const row = await lockOutboundMessage(db, data.outboundId);
      if (!row) throw new UnrecoverableError("outbound message not found");
      if (row.status === "accepted") return;
      const answer = await deps().jukiNet.sendMessage(row.jws);
      await markOutboundAccepted(db, row.id, answer.route, deps().now());
      logger.info({ outboundId: row.id, kind: row.kind, to: row.to_lg_code, route: answer.route }, "sent");
    },
  });
}

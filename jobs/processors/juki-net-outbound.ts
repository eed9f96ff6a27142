import { UnrecoverableError } from "bullmq";
import type { Kysely, Transaction } from "kysely";
import {
  lockOutboundMessage,
  markOutboundAccepted,
  markOutboundFailed,
  storeOutboundSignature,
} from "../../backoffice/pipeline/outbound.queries.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { Envelope } from "../../mocks/juki-net/protocol.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Closed zone → 住基ネット: sends a stored message (register.outbound_message) and marks it
 * accepted. A message stored unsigned (by a completion command) is signed here with the sender's
 * CS key at its first send and the JWS kept, so a retry sends the same bytes. 5xx, timeouts and 409
 * outOfOrder throw and BullMQ retries with backoff (the attempt and its error are recorded for the
 * back office); the network answers a repeat of an accepted id with its first answer, so a retry
 * after a lost answer is safe.
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
      let jws = row.jws;
      if (!jws) {
        jws = await deps().jukiNet.sign(row.envelope as Envelope);
        await storeOutboundSignature(db, row.id, jws);
      }
      const answer = await deps().jukiNet.sendMessage(jws);
      await markOutboundAccepted(db, row.id, answer.route, deps().now());
      logger.info({ outboundId: row.id, kind: row.kind, to: row.to_lg_code, route: answer.route }, "sent");
    },
    async onFailure({ db, data, error }) {
      await markOutboundFailed(
        db as Kysely<BackofficeDatabase>,
        data.outboundId,
        error.message,
        deps().now(),
      );
    },
  });
}

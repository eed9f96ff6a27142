import { UnrecoverableError } from "bullmq";
import type { Transaction } from "kysely";
import { applyInbound } from "../../backoffice/pipeline/inbound.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { parseEnvelope } from "../../mocks/juki-net/protocol.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * 住基ネット → a hosted municipality: fetches the announced message from its mailbox (client
 * assertion), verifies the sender's signature, applies it in the inbox's transaction, and
 * acknowledges it only after that transaction committed (afterCommit; also for a redelivery,
 * in case the first acknowledgement was lost).
 */
export function jukiNetInboundProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "jukiNetInbound",
    consumer: "backoffice-juki-net-inbound",
    async handle({ trx, envelope, data, logger }) {
      const d = deps();
      const lgCode = envelope.lgCode;
      const message = await d.jukiNet.mailboxFetch(lgCode, data.messageId);
      const signed = await d.jukiNet.verify(message.jws);
      const parsed = parseEnvelope(signed);
      if (!parsed.ok) throw new UnrecoverableError(`invalid message: ${parsed.issues.join(", ")}`);
      const m = parsed.envelope;
      if (m.id !== data.messageId || m.to !== lgCode) {
        throw new UnrecoverableError("the signed message is not the one announced for this mailbox");
      }
      const outcome = await applyInbound(trx as Transaction<BackofficeDatabase>, m, {
        keys: d.myNumberKeys,
        today: d.today(),
        now: d.now(),
        sign: d.jukiNet.sign.bind(d.jukiNet),
      });
      logger.info(
        { messageId: m.id, kind: m.kind, from: m.from, to: m.to, outcome: outcome.kind },
        "message applied",
      );
    },
    async afterCommit({ envelope, data }) {
      await deps().jukiNet.mailboxAck(envelope.lgCode, data.messageId);
    },
  });
}

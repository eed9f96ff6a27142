import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { enqueue } from "../../jobs/outbox.js";
import type { Envelope } from "../../mocks/juki-net/protocol.js";
import { insertOutboundMessage } from "./outbound.queries.js";

/**
 * Writes a 住基ネット message to send, in the caller's transaction: the signed JWS is stored in the
 * closed zone (register.outbound_message) and the outbox gets a job with its id only. The
 * envelope id is the message's id forever, so every retry sends the same bytes and the network
 * answers a repeat with its first answer.
 */
export async function writeOutboundMessage(
  trx: Transaction<BackofficeDatabase>,
  envelope: Envelope,
  sign: (envelope: Envelope) => Promise<string>,
): Promise<string> {
  const jws = await sign(envelope);
  await insertOutboundMessage(trx, {
    id: envelope.id,
    lgCode: envelope.from,
    toLgCode: envelope.to,
    kind: envelope.kind,
    applicationId: envelope.applicationId ?? null,
    inReplyTo: envelope.inReplyTo ?? null,
    jws,
  });
  await enqueue(trx, "messaging", {
    queue: "jukiNetOutbound",
    lgCode: envelope.from,
    data: { outboundId: envelope.id },
  });
  return envelope.id;
}

import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { enqueue } from "../../jobs/outbox.js";
import type { Envelope } from "../../mocks/juki-net/protocol.js";
import { insertOutboundMessage } from "./outbound.queries.js";

/**
 * Writes a 住基ネット message to send, in the caller's transaction: the message is stored in the
 * closed zone (register.outbound_message) and the outbox gets a job with its id only. The
 * envelope id is the message's id forever; the network answers a repeat with its first answer.
 *
 * With `sign`, the JWS is made now (intake, inbound answers: the worker holds the CS key). Without
 * it, the envelope is stored unsigned and the sending worker signs it at its first send and keeps
 * that JWS, so every retry sends the same bytes (completion commands run in the back-office web
 * process, which does not hold the CS key).
 */
export async function writeOutboundMessage(
  trx: Transaction<BackofficeDatabase>,
  envelope: Envelope,
  sign?: (envelope: Envelope) => Promise<string>,
  opts: { reservationId?: string | null } = {},
): Promise<string> {
  const jws = sign ? await sign(envelope) : null;
  await insertOutboundMessage(trx, {
    id: envelope.id,
    lgCode: envelope.from,
    toLgCode: envelope.to,
    kind: envelope.kind,
    applicationId: envelope.applicationId ?? null,
    inReplyTo: envelope.inReplyTo ?? null,
    jws,
    envelope: jws ? undefined : envelope,
    reservationId: opts.reservationId ?? null,
  });
  await enqueue(trx, "messaging", {
    queue: "jukiNetOutbound",
    lgCode: envelope.from,
    data: { outboundId: envelope.id },
  });
  return envelope.id;
}

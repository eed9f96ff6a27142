import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { OutboundMessageTable } from "../../db/types/pipeline.js";

type Trx = Transaction<BackofficeDatabase>;

export interface NewOutboundMessage {
  id: string;
  lgCode: string;
  toLgCode: string;
  kind: string;
  applicationId: string | null;
  inReplyTo: string | null;
  jws: string;
}

export async function insertOutboundMessage(trx: Trx, m: NewOutboundMessage): Promise<void> {
  await trx
    .insertInto("register.outbound_message")
    .values({
      id: m.id,
      lg_code: m.lgCode,
      to_lg_code: m.toLgCode,
      kind: m.kind,
      application_id: m.applicationId,
      in_reply_to: m.inReplyTo,
      jws: m.jws,
      route: null,
      accepted_at: null,
    })
    .execute();
}

export type OutboundMessageRow = Pick<
  OutboundMessageTable,
  "id" | "lg_code" | "to_lg_code" | "kind" | "application_id" | "jws" | "route"
> & { status: "pending" | "accepted" };

/** The message, locked until the transaction ends (one sender at a time). */
export async function lockOutboundMessage(trx: Trx, id: string): Promise<OutboundMessageRow | undefined> {
  return trx
    .selectFrom("register.outbound_message")
    .select(["id", "lg_code", "to_lg_code", "kind", "application_id", "jws", "status", "route"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export async function markOutboundAccepted(
  trx: Trx,
  id: string,
  route: "mailbox" | "standIn",
  now: Date,
): Promise<void> {
  await trx
    .updateTable("register.outbound_message")
    .set((eb) => ({ status: "accepted", route, accepted_at: now, attempts: eb("attempts", "+", 1) }))
    .where("id", "=", id)
    .execute();
}

export async function outboundMessagesOf(
  trx: Trx | import("kysely").Kysely<BackofficeDatabase>,
  applicationId: string,
) {
  return trx
    .selectFrom("register.outbound_message")
    .select(["id", "lg_code", "to_lg_code", "kind", "status", "route"])
    .where("application_id", "=", applicationId)
    .orderBy("created_at")
    .execute();
}

import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { OutboundMessageTable } from "../../db/types/pipeline.js";

type Trx = Transaction<BackofficeDatabase>;
type Db = Kysely<BackofficeDatabase> | Trx;

export interface NewOutboundMessage {
  id: string;
  lgCode: string;
  toLgCode: string;
  kind: string;
  applicationId: string | null;
  inReplyTo: string | null;
  /** The signed message, or null with `envelope` to be signed by the worker at its first send. */
  jws: string | null;
  envelope?: unknown;
  reservationId?: string | null;
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
      envelope: m.envelope === undefined ? null : JSON.stringify(m.envelope),
      reservation_id: m.reservationId ?? null,
      route: null,
      accepted_at: null,
      last_error: null,
      last_attempt_at: null,
      // The moment of writing, not of the transaction: several messages of one completion keep
      // the order they were written in (outgoingMessages lists them by it).
      created_at: sql<Date>`clock_timestamp()`,
    })
    .execute();
}

export type OutboundMessageRow = Pick<
  OutboundMessageTable,
  "id" | "lg_code" | "to_lg_code" | "kind" | "application_id" | "jws" | "route"
> & { status: "pending" | "accepted"; envelope: unknown };

/** The message, locked until the transaction ends (one sender at a time). */
export async function lockOutboundMessage(trx: Trx, id: string): Promise<OutboundMessageRow | undefined> {
  return trx
    .selectFrom("register.outbound_message")
    .select(["id", "lg_code", "to_lg_code", "kind", "application_id", "jws", "envelope", "status", "route"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

/** Keeps the signature made at the first send, so every retry sends the same bytes. */
export async function storeOutboundSignature(trx: Trx, id: string, jws: string): Promise<void> {
  await trx.updateTable("register.outbound_message").set({ jws }).where("id", "=", id).execute();
}

export async function markOutboundAccepted(
  trx: Trx,
  id: string,
  route: "mailbox" | "standIn",
  now: Date,
): Promise<void> {
  await trx
    .updateTable("register.outbound_message")
    .set((eb) => ({
      status: "accepted",
      route,
      accepted_at: now,
      last_attempt_at: now,
      last_error: null,
      attempts: eb("attempts", "+", 1),
    }))
    .where("id", "=", id)
    .execute();
}

/**
 * A failed send, written outside the job's (rolled back) transaction: the attempt and an error
 * text that carries status and error codes only (never personal data).
 */
export async function markOutboundFailed(db: Db, id: string, error: string, now: Date): Promise<void> {
  await db
    .updateTable("register.outbound_message")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: error.slice(0, 300),
      last_attempt_at: now,
    }))
    .where("id", "=", id)
    .where("status", "=", "pending")
    .execute();
}

export async function outboundMessagesOf(trx: Db, applicationId: string) {
  return trx
    .selectFrom("register.outbound_message")
    .select(["id", "lg_code", "to_lg_code", "kind", "status", "route"])
    .where("application_id", "=", applicationId)
    .orderBy("created_at")
    .execute();
}

import { type Kysely, sql, type Transaction } from "kysely";
import type { Envelope } from "./queues.js";

/**
 * The receiving half of exactly-once effects: the consumer records the message id in the
 * same transaction as its effect, so a redelivered message finds its id and does nothing.
 * Messages with an ordering key are applied strictly in sequence: one that arrives early
 * is refused with OutOfOrderError and retried by BullMQ until its predecessor has landed.
 */
export type InboxSchema = "portal" | "messaging";

export class OutOfOrderError extends Error {
  constructor(
    readonly orderingKey: string,
    readonly expected: number,
    readonly received: number,
  ) {
    super(`message ${received} of its ordering key arrived before ${expected}; retrying later`);
    this.name = "OutOfOrderError";
  }
}

export type ConsumeResult<T> = { applied: true; result: T } | { applied: false; reason: "duplicate" };

export async function consumeOnce<DB, T>(
  db: Kysely<DB>,
  schema: InboxSchema,
  consumer: string,
  envelope: Envelope,
  effect: (trx: Transaction<DB>) => Promise<T>,
): Promise<ConsumeResult<T>> {
  return db.transaction().execute(async (trx) => {
    const inserted = await sql`
      insert into ${sql.id(schema, "inbox")} (consumer, message_id, lg_code)
      values (${consumer}, ${envelope.messageId}, ${envelope.lgCode})
      on conflict do nothing`.execute(trx);
    if (Number(inserted.numAffectedRows ?? 0) === 0) return { applied: false, reason: "duplicate" } as const;

    if (envelope.orderingKey !== undefined && envelope.sequence !== undefined) {
      const row = await sql<{ last_sequence: number }>`
        select last_sequence from ${sql.id(schema, "inbox_order")}
        where consumer = ${consumer} and ordering_key = ${envelope.orderingKey}
        for update`.execute(trx);
      const last = row.rows[0] ? Number(row.rows[0].last_sequence) : 0;
      if (envelope.sequence !== last + 1) {
        // Rolls back the inbox row too, so the retry is judged afresh.
        throw new OutOfOrderError(envelope.orderingKey, last + 1, envelope.sequence);
      }
      await sql`
        insert into ${sql.id(schema, "inbox_order")} (consumer, ordering_key, last_sequence)
        values (${consumer}, ${envelope.orderingKey}, ${envelope.sequence})
        on conflict (consumer, ordering_key) do update set last_sequence = excluded.last_sequence`.execute(
        trx,
      );
    }
    const result = await effect(trx);
    return { applied: true, result } as const;
  });
}

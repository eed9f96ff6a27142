import { randomUUID } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
import type { Logger } from "../lib/logger.js";
import type { QueueBackend } from "./backend.js";
import { type Envelope, type QueueData, type QueueKey, queues } from "./queues.js";

/**
 * Transactional outbox. A state change and the messages it causes are written in ONE
 * transaction (so a rollback sends nothing); a relay later moves committed rows into
 * BullMQ with the outbox id as jobId (so a relay crash between publish and marking the
 * row only causes a duplicate add, which BullMQ ignores, or at worst a redelivery, which
 * the receiver's inbox ignores).
 *
 * The same tables exist in schema `portal` (internet zone) and `messaging` (closed zone);
 * each zone writes and relays its own with its own role.
 */
export type OutboxSchema = "portal" | "messaging";

export interface OutgoingMessage<K extends QueueKey> {
  queue: K;
  /** The municipality the message concerns. */
  lgCode: string;
  data: QueueData<K>;
  /** Messages with the same key reach their consumer in the order they were written. */
  orderingKey?: string;
}

/**
 * Writes a message to the outbox inside the caller's transaction. The payload is
 * validated against its queue's schema here, so a bad message fails the change itself.
 * Returns the message id (the future jobId).
 */
export async function enqueue<K extends QueueKey>(
  // biome-ignore lint/suspicious/noExplicitAny: works on either zone's transaction; the schema names the tables.
  trx: Transaction<any>,
  schema: OutboxSchema,
  message: OutgoingMessage<K>,
): Promise<string> {
  const definition = queues[message.queue];
  const data = definition.schema.parse(message.data);
  const id = randomUUID();
  let sequence: number | null = null;
  // Sequences count per queue and key: each queue has one consumer, and a consumer must
  // never wait for a number that was given to a message on another queue.
  const orderingKey = message.orderingKey ? `${definition.name}:${message.orderingKey}` : null;
  if (orderingKey) {
    // One row per key, locked by the upsert until commit: concurrent writers for the same
    // person queue up here, and a rollback gives the number back (no gaps).
    const row = await sql<{ last_sequence: number }>`
      insert into ${sql.id(schema, "outbox_sequence")} (ordering_key, last_sequence)
      values (${orderingKey}, 1)
      on conflict (ordering_key) do update set last_sequence = ${sql.id(schema, "outbox_sequence")}.last_sequence + 1
      returning last_sequence`.execute(trx);
    sequence = Number(row.rows[0]!.last_sequence);
  }
  await sql`
    insert into ${sql.id(schema, "outbox")} (id, lg_code, queue, job_name, payload, ordering_key, sequence)
    values (${id}, ${message.lgCode}, ${definition.name}, ${definition.name}, ${JSON.stringify(data)}, ${orderingKey}, ${sequence})`.execute(
    trx,
  );
  return id;
}

export interface RelayOptions {
  // biome-ignore lint/suspicious/noExplicitAny: see enqueue
  db: Kysely<any>;
  schema: OutboxSchema;
  backend: QueueBackend;
  logger: Logger;
  batchSize?: number;
  /** How long to sleep when the outbox is empty. */
  idleMs?: number;
  /** How often to check that the queue store still holds what was published (default 2 s). */
  storeCheckMs?: number;
  /**
   * After the queue store lost its jobs, messages published this recently are published again
   * (default 7 days; the receivers' inboxes make a second delivery harmless).
   */
  republishWindowSeconds?: number;
}

interface OutboxRow {
  id: string;
  lg_code: string;
  queue: string;
  job_name: string;
  payload: unknown;
  ordering_key: string | null;
  sequence: number | null;
}

/**
 * Publishes one batch: locks unpublished rows (SKIP LOCKED, so several relays share the
 * work), adds them to BullMQ, then marks them published in the same transaction. Returns
 * how many rows were published.
 */
export async function relayOnce(opts: Omit<RelayOptions, "logger" | "idleMs">): Promise<number> {
  const { db, schema, backend } = opts;
  const batchSize = opts.batchSize ?? 200;
  return db.transaction().execute(async (trx) => {
    const rows = await sql<OutboxRow>`
      select id, lg_code, queue, job_name, payload, ordering_key, sequence
      from ${sql.id(schema, "outbox")}
      where published_at is null
      order by seq
      limit ${batchSize}
      for update skip locked`.execute(trx);
    if (rows.rows.length === 0) return 0;
    const byQueue = new Map<string, OutboxRow[]>();
    for (const row of rows.rows) {
      const list = byQueue.get(row.queue) ?? [];
      list.push(row);
      byQueue.set(row.queue, list);
    }
    for (const [queueName, list] of byQueue) {
      await backend.queue(queueName).addBulk(
        list.map((row) => ({
          name: row.job_name,
          data: toEnvelope(row),
          opts: { jobId: row.id },
        })),
      );
    }
    await sql`
      update ${sql.id(schema, "outbox")} set published_at = now(), publish_attempts = publish_attempts + 1
      where id = any(${rows.rows.map((r) => r.id)}::uuid[])`.execute(trx);
    return rows.rows.length;
  });
}

function toEnvelope(row: OutboxRow): Envelope {
  return {
    messageId: row.id,
    lgCode: row.lg_code,
    ...(row.ordering_key ? { orderingKey: row.ordering_key, sequence: Number(row.sequence) } : {}),
    data: row.payload,
  };
}

export interface Relay {
  stop(): Promise<void>;
  /** Resolves once the relay has found the outbox empty (for tests and start-up). */
  drained(): Promise<void>;
}

/**
 * When the queue store lost its jobs (Redis flushed, or restarted without persistence: its
 * marker is gone), marks the messages published within the window as unpublished again, so
 * that the relay publishes them anew, then leaves a new marker. Without this, a job published
 * before the loss would never be delivered: its outbox row says "published". Redelivering
 * one that had already been processed is harmless: the receiver's inbox keeps one effect.
 * Returns how many messages are to be published again.
 */
export async function recoverLostStore(
  opts: Pick<RelayOptions, "db" | "schema" | "backend" | "republishWindowSeconds">,
): Promise<number> {
  const marker = `outbox:${opts.schema}`;
  if (await opts.backend.storeIntact(marker)) return 0;
  const windowSeconds = opts.republishWindowSeconds ?? 7 * 24 * 3600;
  const result = await sql`
    update ${sql.id(opts.schema, "outbox")} set published_at = null
    where published_at is not null and published_at > now() - make_interval(secs => ${windowSeconds})`.execute(
    opts.db,
  );
  // Only once the rows are unpublished (committed): a crash in between finds no marker again.
  await opts.backend.markStore(marker);
  return Number(result.numAffectedRows ?? 0);
}

/** Runs relayOnce in a loop until stopped; errors (database or queue down) are logged and retried. */
export function startRelay(opts: RelayOptions): Relay {
  const idleMs = opts.idleMs ?? 100;
  const storeCheckMs = opts.storeCheckMs ?? 2_000;
  let storeCheckedAt = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  let drainWaiters: (() => void)[] = [];
  let failures = 0;
  const loop = (async () => {
    while (!stopping) {
      let published = 0;
      try {
        if (Date.now() - storeCheckedAt >= storeCheckMs) {
          const again = await recoverLostStore(opts);
          storeCheckedAt = Date.now();
          if (again > 0) {
            opts.logger.warn(
              { schema: opts.schema, messages: again },
              "the queue store lost its jobs (flushed, or restarted without persistence): publishing again what was published recently",
            );
          }
        }
        published = await relayOnce(opts);
        if (failures > 0) opts.logger.info({ schema: opts.schema }, "outbox relay recovered");
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 50 === 0) {
          opts.logger.warn(
            { schema: opts.schema, err: errorText(err), failures },
            "outbox relay cannot publish; retrying",
          );
        }
      }
      if (published === 0 && failures === 0) {
        for (const w of drainWaiters) w();
        drainWaiters = [];
      }
      if (published === 0 && !stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, failures > 0 ? Math.min(idleMs * 2 ** failures, 2_000) : idleMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
    drained() {
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { type Job, UnrecoverableError, type Worker } from "bullmq";
import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import type { PortalDatabase } from "../db/types/portal.js";
import type { Logger } from "../lib/logger.js";
import type { QueueBackend } from "./backend.js";
import { consumeOnce, OutOfOrderError } from "./inbox.js";
import { type Envelope, envelopeSchema, type QueueData, type QueueKey, queues } from "./queues.js";

export type ZoneDatabase<Z extends "portal" | "backoffice"> = Z extends "portal"
  ? PortalDatabase
  : BackofficeDatabase;

export interface ProcessorContext<K extends QueueKey> {
  trx: Transaction<ZoneDatabase<(typeof queues)[K]["consumerZone"]>>;
  envelope: Envelope<QueueData<K>>;
  data: QueueData<K>;
  logger: Logger;
}

/**
 * A processor stays thin: it names its queue and inbox consumer, and its `handle` calls
 * domain commands inside the transaction that also records the message id.
 */
export interface ProcessorDefinition<K extends QueueKey = QueueKey> {
  queue: K;
  /** The inbox consumer name; unique per effect. */
  consumer: string;
  concurrency?: number;
  handle(ctx: ProcessorContext<K>): Promise<void>;
  /**
   * Optional: runs after the inbox transaction committed (also for a duplicate, whose effect
   * committed earlier), e.g. to acknowledge a message to its sender. A failure retries the job,
   * which the inbox then sees as a duplicate.
   */
  afterCommit?(ctx: Omit<ProcessorContext<K>, "trx"> & { applied: boolean }): Promise<void>;
  /**
   * Optional: runs after `handle` failed and its transaction rolled back (not for a message that
   * only arrived out of order), e.g. to record the attempt. Its own failure is logged, not thrown.
   */
  onFailure?(
    ctx: Omit<ProcessorContext<K>, "trx"> & {
      db: Kysely<ZoneDatabase<(typeof queues)[K]["consumerZone"]>>;
      error: Error;
    },
  ): Promise<void>;
}

export function defineProcessor<K extends QueueKey>(
  definition: ProcessorDefinition<K>,
): ProcessorDefinition<K> {
  return definition;
}

export interface ZoneDbs {
  portal?: Kysely<PortalDatabase>;
  backoffice?: Kysely<BackofficeDatabase>;
}

/** Starts a BullMQ worker for one processor; the message is validated, deduplicated and ordered here. */
export function runProcessor<K extends QueueKey>(
  definition: ProcessorDefinition<K>,
  deps: { backend: QueueBackend; dbs: ZoneDbs; logger: Logger },
): Worker {
  const queue = queues[definition.queue];
  const zone = queue.consumerZone;
  const db = deps.dbs[zone];
  if (!db) throw new Error(`processor ${definition.consumer} needs the ${zone} database`);
  const inboxSchema = zone === "portal" ? "portal" : "messaging";
  const logger = deps.logger.child({ queue: queue.name, consumer: definition.consumer });

  const worker = deps.backend.worker(
    queue.name,
    async (job: Job) => {
      const envelope = envelopeSchema.safeParse(job.data);
      const data = envelope.success ? queue.schema.safeParse(envelope.data.data) : undefined;
      if (!envelope.success || !data?.success) {
        // A malformed message will never succeed: fail it at once (dead letter), without retries.
        throw new UnrecoverableError(`malformed message on ${queue.name}`);
      }
      const typed = { ...envelope.data, data: data.data } as Envelope<QueueData<K>>;
      try {
        const outcome = await consumeOnce(
          db as unknown as Kysely<ZoneDatabase<(typeof queues)[K]["consumerZone"]>>,
          inboxSchema,
          definition.consumer,
          typed,
          (trx) => definition.handle({ trx, envelope: typed, data: typed.data, logger }),
        );
        if (!outcome.applied) logger.debug({ messageId: typed.messageId }, "duplicate message ignored");
        await definition.afterCommit?.({
          envelope: typed,
          data: typed.data,
          logger,
          applied: outcome.applied,
        });
      } catch (err) {
        if (err instanceof OutOfOrderError) logger.debug({ messageId: typed.messageId }, err.message);
        else if (definition.onFailure) {
          await definition
            .onFailure({
              envelope: typed,
              data: typed.data,
              logger,
              db: db as unknown as Kysely<ZoneDatabase<(typeof queues)[K]["consumerZone"]>>,
              error: err instanceof Error ? err : new Error(String(err)),
            })
            .catch((e: unknown) =>
              logger.warn({ messageId: typed.messageId, err: (e as Error).message }, "onFailure failed"),
            );
        }
        throw err;
      }
    },
    { concurrency: definition.concurrency ?? 4 },
  );
  worker.on("failed", (job, err) => {
    const exhausted = job && job.attemptsMade >= (job.opts.attempts ?? 1);
    if (exhausted || err instanceof UnrecoverableError) {
      logger.error({ jobId: job?.id, err: err.message }, "job moved to the dead-letter state (failed)");
    }
  });
  worker.on("error", (err) => logger.warn({ err: err.message }, "worker connection problem"));
  return worker;
}

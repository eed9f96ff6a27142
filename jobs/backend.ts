import {
  createPostgresBackend,
  type JobsOptions,
  type Processor,
  Queue,
  Worker,
  type WorkerOptions,
  withBackend,
} from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";

/**
 * Where BullMQ keeps its jobs. Production: Redis (AOF, noeviction). Embedded default and
 * machines without Redis: BullMQ 6's PostgreSQL backend, in its own schema, as the queue
 * role. See docs/decisions/002-queue-backend.md.
 */
export type QueueBackendConfig =
  | { kind: "redis"; url: string; prefix?: string }
  | { kind: "postgres"; url: string };

/** Every job is retried until it succeeds or an admin gives up on it (dead letter = failed). */
export const defaultJobOptions: JobsOptions = {
  attempts: 30,
  backoff: { type: "capped" },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
};

/** Exponential backoff from 200 ms, capped at 30 s, with jitter so retries do not march in step. */
export function cappedBackoff(attemptsMade: number): number {
  const base = Math.min(200 * 2 ** Math.max(0, attemptsMade - 1), 30_000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export interface QueueBackend {
  readonly kind: QueueBackendConfig["kind"];
  queue(name: string): Queue;
  worker(name: string, processor: Processor, opts?: WorkerTuning): Worker;
  /** Throws when the queue store is unreachable (for /readyz). */
  ping(): Promise<void>;
  /**
   * False when the queue store no longer holds the marker `markStore(name)` left in it: Redis
   * was flushed, or restarted without persistence, and with it went every job published
   * before (the outbox relay then republishes; decision 003). The PostgreSQL backend keeps its
   * jobs in a durable database: always true.
   */
  storeIntact(marker: string): Promise<boolean>;
  markStore(marker: string): Promise<void>;
  close(): Promise<void>;
}

/** What a caller may tune on a worker; the connection always comes from the backend. */
export type WorkerTuning = Partial<Omit<WorkerOptions, "connection" | "prefix">>;

export class RedisPolicyError extends Error {}

export async function createQueueBackend(config: QueueBackendConfig): Promise<QueueBackend> {
  return config.kind === "redis" ? createRedisBackend(config) : createPostgresQueueBackend(config);
}

async function createRedisBackend(config: { url: string; prefix?: string }): Promise<QueueBackend> {
  await probeRedis(config.url);
  // Queues (producers) fail fast; workers wait for Redis forever (BullMQ's requirement).
  const producer = new Redis(config.url, { maxRetriesPerRequest: 3 });
  producer.on("error", () => {});
  const prefix = config.prefix ?? "juki";
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  return {
    kind: "redis",
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = new Queue(name, { connection: producer, prefix, defaultJobOptions });
        q.on("error", () => {});
        queues.set(name, q);
      }
      return q;
    },
    worker(name, processor, opts) {
      const connection = new Redis(config.url, { maxRetriesPerRequest: null });
      connection.on("error", () => {});
      const w = new Worker(name, processor, {
        connection,
        prefix,
        settings: { backoffStrategy: cappedBackoff },
        ...opts,
      });
      workers.push(w);
      w.on("closed", () => connection.disconnect());
      return w;
    },
    async ping() {
      await producer.ping();
    },
    async storeIntact(marker) {
      return (await producer.exists(`${prefix}:store-marker:${marker}`)) === 1;
    },
    async markStore(marker) {
      await producer.set(`${prefix}:store-marker:${marker}`, new Date().toISOString());
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      producer.disconnect();
    },
  };
}

/**
 * One connection without retries, to fail at start with the real reason: unreachable, or
 * an eviction policy under which BullMQ would silently lose jobs.
 */
async function probeRedis(url: string): Promise<void> {
  const u = new URL(url);
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: (Error & { code?: string }) | undefined;
  probe.on("error", (err) => {
    lastError = err;
  });
  try {
    await probe.connect();
  } catch (err) {
    const reason =
      lastError?.code ?? lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`REDIS_URL: cannot connect to ${u.hostname}:${u.port || 6379} (${reason})`);
  }
  try {
    const info = await probe.info("memory");
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== "noeviction") {
      throw new RedisPolicyError(
        `REDIS_URL: Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or jobs can silently disappear (set maxmemory-policy noeviction)`,
      );
    }
  } finally {
    probe.disconnect();
  }
}

/**
 * Connections one process's PostgreSQL queue backend may hold at most. Every worker keeps one of
 * them for its LISTEN (so a process with the pipeline's seven workers has nine left for queries);
 * without a shared pool BullMQ opens a pool of its own per queue and per worker, which took two
 * worker processes past 100 connections.
 */
export const QUEUE_POOL_MAX = 16;

async function createPostgresQueueBackend(config: { url: string }): Promise<QueueBackend> {
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  // BullMQ checks a given pool's schema under its default name "bullmq", which is also where
  // db/migrate.ts (QUEUE_SCHEMA) puts it.
  const schema = "bullmq";
  // One pool for every queue and worker of this process. BullMQ takes a given pool as it is, so
  // the pool pins the search path to the queue schema itself (BullMQ's SQL names are unqualified).
  const pool = new pg.Pool({
    connectionString: config.url,
    options: `-c search_path=${schema}`,
    max: QUEUE_POOL_MAX,
    keepAlive: true,
  });
  // An idle connection dropped (PostgreSQL restarting) is an expected event: the pool replaces it
  // on the next query, and a query in flight fails and its job is retried.
  pool.on("error", () => {});
  const connection = pool;
  let listening = 0;
  const queues = new Map<string, InstanceType<typeof PgQueue>>();
  const workers: InstanceType<typeof PgWorker>[] = [];
  const pingQueue = () => {
    const name = "__ping";
    let q = queues.get(name);
    if (!q) {
      q = new PgQueue(name, { connection });
      q.on("error", () => {});
      queues.set(name, q);
    }
    return q;
  };
  return {
    kind: "postgres",
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = new PgQueue(name, { connection, defaultJobOptions });
        q.on("error", () => {});
        queues.set(name, q);
      }
      return q as unknown as Queue;
    },
    worker(name, processor, opts) {
      // Each worker holds a pooled connection for its LISTEN: leave room for the queries.
      listening++;
      if (listening > QUEUE_POOL_MAX - 4) {
        throw new Error(
          `PostgreSQL queue backend: ${listening} workers leave too few of the pool's ${QUEUE_POOL_MAX} connections for queries`,
        );
      }
      const w = new PgWorker(name, processor, {
        connection,
        settings: { backoffStrategy: cappedBackoff },
        ...opts,
      });
      workers.push(w);
      return w as unknown as Worker;
    },
    async ping() {
      await pingQueue().getJobCounts("waiting");
    },
    async storeIntact() {
      return true;
    },
    async markStore() {},
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await pool.end();
    },
  };
}

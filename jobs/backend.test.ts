import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../tests/support/database.js";
import { spawnRedis } from "../tests/support/redis-server.js";
import { cappedBackoff, createQueueBackend, QUEUE_POOL_MAX, RedisPolicyError } from "./backend.js";
import { eventually } from "./juki-net/test-support.js";

describe("queue backend on Redis", () => {
  it("refuses a Redis that may evict keys, naming REDIS_URL and the fix", async () => {
    const redis = await spawnRedis(undefined, ["--maxmemory-policy", "allkeys-lru"]);
    try {
      const attempt = createQueueBackend({ kind: "redis", url: redis.url });
      await expect(attempt).rejects.toBeInstanceOf(RedisPolicyError);
      await expect(attempt).rejects.toThrow(/REDIS_URL: .*"allkeys-lru".*noeviction/);
    } finally {
      await redis.stop();
    }
  });

  it("accepts a noeviction Redis and answers ping", async () => {
    const redis = await spawnRedis();
    try {
      const backend = await createQueueBackend({ kind: "redis", url: redis.url });
      await expect(backend.ping()).resolves.toBeUndefined();
      await backend.close();
    } finally {
      await redis.stop();
    }
  });
});

describe("queue backend on PostgreSQL", () => {
  it("shares one pool among all of a process's queues and workers, and still delivers every job", async () => {
    const t = await createTestDatabase({ queueBackend: true });
    const admin = new pg.Client({ connectionString: t.adminUrl });
    await admin.connect();
    const backend = await createQueueBackend({ kind: "postgres", url: t.queueUrl });
    try {
      // As many workers as the pipeline has processors, and more queues than that.
      const names = Array.from({ length: 10 }, (_, i) => `pool-test-${i}`);
      const done = new Set<string>();
      for (const name of names.slice(0, 7)) {
        backend.worker(
          name,
          async (job) => {
            done.add(String(job.id));
          },
          { concurrency: 4 },
        );
      }
      const ids: string[] = [];
      for (const name of names.slice(0, 7)) {
        await backend.queue(name).addBulk(
          Array.from({ length: 20 }, (_, i) => {
            const id = `${name}-${i}`;
            ids.push(id);
            return { name, data: { i }, opts: { jobId: id } };
          }),
        );
      }
      for (const name of names.slice(7)) await backend.queue(name).getJobCounts("waiting");
      let most = 0;
      await eventually(async () => {
        const n = await admin.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = $1 and usename = 'juki_queue'",
          [t.name],
        );
        most = Math.max(most, n.rows[0]!.n);
        return ids.every((id) => done.has(id));
      }, 30_000);
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(QUEUE_POOL_MAX);
    } finally {
      await backend.close();
      await admin.end();
      await t.drop();
    }
  });

  it("refuses more workers than leave room for queries in the pool", async () => {
    const t = await createTestDatabase({ queueBackend: true });
    const backend = await createQueueBackend({ kind: "postgres", url: t.queueUrl });
    try {
      expect(() => {
        for (let i = 0; i < QUEUE_POOL_MAX; i++) backend.worker(`too-many-${i}`, async () => {});
      }).toThrow(/too few of the pool's 16 connections/);
    } finally {
      await backend.close();
      await t.drop();
    }
  });
});

describe("retry backoff", () => {
  it("grows exponentially from 200 ms and never exceeds 30 s", () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const delay = cappedBackoff(attempt);
      const base = Math.min(200 * 2 ** (attempt - 1), 30_000);
      expect(delay).toBeGreaterThanOrEqual(base / 2);
      expect(delay).toBeLessThanOrEqual(base);
    }
  });
});

import { describe, expect, it } from "vitest";
import { spawnRedis } from "../tests/support/redis-server.js";
import { cappedBackoff, createQueueBackend, RedisPolicyError } from "./backend.js";

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

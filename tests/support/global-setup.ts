import { rm } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../db/embedded.js";
import { freePort } from "./free-port.js";
import { spawnRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of a PostgreSQL server the tests may create databases on. */
    adminDatabaseUrl: string;
    /** URL of a Redis server with noeviction; each test file uses its own key prefix. */
    redisUrl: string;
  }
}

/**
 * Real servers for the whole run: TEST_DATABASE_URL / TEST_REDIS_URL when given, else an
 * embedded PostgreSQL and a redis-server started here on free ports and removed at the end.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const dir = path.resolve(".test-data", `pg-${process.pid}`);
    const pg = await startEmbeddedPostgres({ dir, port: await freePort(), password: "test-admin" });
    adminUrl = pg.adminUrl;
    stops.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }
  let redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl) {
    const redis = await spawnRedis();
    redisUrl = redis.url;
    stops.push(redis.stop);
  }
  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("redisUrl", redisUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

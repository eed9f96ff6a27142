import { runMigrations } from "bullmq";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { createPool, withCredentials } from "./connect.js";
import { migrations } from "./migrations/index.js";
import { ensureRoles, grantConnect, ROLES, type RolePasswords } from "./roles.js";

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings a database to the latest schema: roles, CONNECT grants, then Kysely's locking
 * Migrator. Safe to run from several processes at once and on every start.
 */
export async function migrateToLatest(adminUrl: string, passwords: RolePasswords): Promise<MigrateResult> {
  await ensureRoles(adminUrl, passwords);
  await grantConnect(adminUrl);
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: createPool(adminUrl, { max: 2 }) }),
  });
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: "public",
    });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === "Error");
    if (error || failed) {
      const reason = error instanceof Error ? error.message : String(error ?? "unknown error");
      throw new Error(`migration ${failed?.migrationName ?? "(none)"} failed: ${reason}`);
    }
    return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
  } finally {
    await db.destroy();
  }
}

/**
 * Creates (or upgrades) the BullMQ PostgreSQL backend's tables, as the queue role, in its
 * own schema `bullmq`; only needed when the queue runs on PostgreSQL.
 */
export async function migrateQueueBackend(adminUrl: string, queuePassword: string): Promise<number> {
  const client = new pg.Client({ connectionString: withCredentials(adminUrl, ROLES.queue, queuePassword) });
  await client.connect();
  try {
    return await runMigrations(client, QUEUE_SCHEMA);
  } finally {
    await client.end();
  }
}

export const QUEUE_SCHEMA = "bullmq";

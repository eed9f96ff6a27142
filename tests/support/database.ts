import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, withCredentials, withDatabase } from "../../db/connect.js";
import { migrateQueueBackend, migrateToLatest } from "../../db/migrate.js";
import { ROLES, type RolePasswords } from "../../db/roles.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PortalDatabase } from "../../db/types/portal.js";

/** Fixed in tests; the roles are cluster-wide and shared by every test database. */
export const TEST_ROLE_PASSWORDS: RolePasswords = {
  portal: "test-portal",
  backoffice: "test-backoffice",
  queue: "test-queue",
};

export interface TestDatabase {
  name: string;
  adminUrl: string;
  portalUrl: string;
  backofficeUrl: string;
  queueUrl: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file, migrated to the latest schema (and, when asked, with
 * the BullMQ PostgreSQL backend's tables), on the run's PostgreSQL server.
 */
export async function createTestDatabase(opts: { queueBackend?: boolean } = {}): Promise<TestDatabase> {
  const serverAdminUrl = inject("adminDatabaseUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const adminUrl = withDatabase(serverAdminUrl, name);
  await migrateToLatest(adminUrl, TEST_ROLE_PASSWORDS);
  if (opts.queueBackend) await migrateQueueBackend(adminUrl, TEST_ROLE_PASSWORDS.queue);
  return {
    name,
    adminUrl,
    portalUrl: withCredentials(adminUrl, ROLES.portal, TEST_ROLE_PASSWORDS.portal),
    backofficeUrl: withCredentials(adminUrl, ROLES.backoffice, TEST_ROLE_PASSWORDS.backoffice),
    queueUrl: withCredentials(adminUrl, ROLES.queue, TEST_ROLE_PASSWORDS.queue),
    async drop() {
      const client = new pg.Client({ connectionString: serverAdminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export function portalDb(t: TestDatabase) {
  return createDb<PortalDatabase>(t.portalUrl, { max: 4 });
}

export function backofficeDb(t: TestDatabase) {
  return createDb<BackofficeDatabase>(t.backofficeUrl, { max: 4 });
}

/** A key prefix of its own for each test file that uses Redis. */
export function redisPrefix(): string {
  return `test-${randomBytes(4).toString("hex")}`;
}

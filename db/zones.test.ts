import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backofficeDb,
  createTestDatabase,
  portalDb,
  TEST_ROLE_PASSWORDS,
  type TestDatabase,
} from "../tests/support/database.js";
import { createDb } from "./connect.js";
import { migrateToLatest } from "./migrate.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("zone separation (三層の対策)", () => {
  it("the portal's role cannot read or write any closed-zone table", async () => {
    const db = portalDb(t);
    try {
      for (const table of ["register.municipality", "messaging.outbox", "messaging.inbox"]) {
        await expect(sql.raw(`select * from ${table} limit 1`).execute(db), table).rejects.toThrow(
          /permission denied/,
        );
      }
      await expect(
        sql`insert into register.municipality (lg_code, prefecture, name, towns, hosted) values ('131075','東京都','墨田区','[]',true)`.execute(
          db,
        ),
      ).rejects.toThrow(/permission denied/);
      // …while its own schema works.
      await expect(sql`select count(*) from portal.outbox`.execute(db)).resolves.toBeDefined();
    } finally {
      await db.destroy();
    }
  });

  it("the back office's role cannot read the portal's schema but works in its own", async () => {
    const db = backofficeDb(t);
    try {
      await expect(sql`select * from portal.outbox limit 1`.execute(db)).rejects.toThrow(/permission denied/);
      await expect(sql`select count(*) from register.municipality`.execute(db)).resolves.toBeDefined();
      await expect(sql`select count(*) from messaging.outbox`.execute(db)).resolves.toBeDefined();
    } finally {
      await db.destroy();
    }
  });

  it("no zone role can create objects in another zone's schema", async () => {
    const db = portalDb(t);
    try {
      await expect(sql`create table register.sneaky (id int)`.execute(db)).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await db.destroy();
    }
  });

  it("migrating again applies nothing (every start runs migrations)", async () => {
    const again = await migrateToLatest(t.adminUrl, TEST_ROLE_PASSWORDS);
    expect(again.applied).toEqual([]);
    const admin = createDb<unknown>(t.adminUrl);
    try {
      const schemas = await sql<{ nspname: string }>`
        select nspname from pg_namespace where nspname in ('portal','register','audit','messaging') order by 1`.execute(
        admin,
      );
      expect(schemas.rows.map((r) => r.nspname)).toEqual(["audit", "messaging", "portal", "register"]);
    } finally {
      await admin.destroy();
    }
  });
});

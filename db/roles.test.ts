import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, TEST_ROLE_PASSWORDS, type TestDatabase } from "../tests/support/database.js";
import { createDb } from "./connect.js";
import { ensureRoles } from "./roles.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("ensureRoles", () => {
  // Roles are cluster-wide: the setups of parallel test files (or two processes starting at once)
  // alter the same roles together, which PostgreSQL may answer with "tuple concurrently updated".
  it("succeeds when several setups run it at once, and the roles can log in afterwards", async () => {
    await Promise.all(Array.from({ length: 12 }, () => ensureRoles(t.adminUrl, TEST_ROLE_PASSWORDS)));
    const db = createDb<unknown>(t.backofficeUrl);
    try {
      const who = await sql<{ u: string }>`select current_user as u`.execute(db);
      expect(who.rows[0]!.u).toBe("juki_backoffice");
    } finally {
      await db.destroy();
    }
  });
});

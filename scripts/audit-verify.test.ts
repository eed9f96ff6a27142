import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "../backoffice/register/audit.js";
import { createDb } from "../db/connect.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../tests/support/database.js";

const run = promisify(execFile);

let t: TestDatabase;
let db: Kysely<BackofficeDatabase>;
beforeAll(async () => {
  t = await createTestDatabase();
  db = backofficeDb(t);
  // Enough rows for several batches of 100.
  for (let n = 0; n < 350; n++) {
    await db.transaction().execute((trx) =>
      appendAudit(trx, {
        lgCode: n % 3 ? "131075" : "131067",
        actor: { staffId: "sumida-clerk", role: "clerk" },
        action: "record.view",
        purpose: "検証テスト",
        detail: { n },
      }),
    );
  }
});
afterAll(async () => {
  await db.destroy();
  await t.drop();
});

async function verify(): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _a, BACKOFFICE_DATABASE_URL: _b, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts"], {
      env: { ...rest, BACKOFFICE_DATABASE_URL: t.backofficeUrl, AUDIT_VERIFY_BATCH: "100" },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run audit:verify", () => {
  it("reports an intact log with each chain's head, and exits 0", async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK: 350 /);
    expect(r.stdout).toMatch(/chain 131067: head id \d+ sha256 [0-9a-f]{64}/);
    expect(r.stdout).toMatch(/chain 131075: head id \d+ sha256 [0-9a-f]{64}/);
  }, 60_000);

  it("names the first broken row and exits 1", async () => {
    const admin = createDb<BackofficeDatabase>(t.adminUrl, { max: 1 });
    const victim = Number(
      (await sql<{ id: number }>`select id from audit.log order by id offset 200 limit 1`.execute(admin))
        .rows[0]!.id,
    );
    await admin.transaction().execute(async (trx) => {
      await sql`alter table audit.log disable trigger log_append_only`.execute(trx);
      await sql`update audit.log set actor = 'someone-else' where id = ${victim}`.execute(trx);
      await sql`alter table audit.log enable trigger log_append_only`.execute(trx);
    });
    await admin.destroy();
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`BROKEN at audit.log id ${victim} `);
    expect(r.stderr).toMatch(/改ざん/);
  }, 60_000);
});

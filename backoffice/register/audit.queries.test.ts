import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import { appendAudit, verifyAuditChain } from "./audit.js";
import { AuditQueryError, listAuditLog } from "./audit.queries.js";
import { type Actor, ForbiddenError } from "./authorization.js";

const SUMIDA = "131075";
const auditor: Actor = { staffId: "aud-1", lgCode: SUMIDA, roles: ["auditor"] };
const clerk: Actor = { staffId: "clerk-1", lgCode: SUMIDA, roles: ["clerk"] };
const SUBJECT = "00000000-0000-4000-8000-000000000001";

let t: TestDatabase;
let db: Kysely<BackofficeDatabase>;
beforeAll(async () => {
  t = await createTestDatabase();
  db = backofficeDb(t);
  for (let n = 0; n < 7; n++) {
    await db.transaction().execute((trx) =>
      appendAudit(trx, {
        lgCode: n === 6 ? "131067" : SUMIDA,
        actor: n % 2 ? { staffId: "clerk-1", role: "clerk" } : { system: "relay" },
        action: n % 3 ? "record.view" : "myNumber.read",
        subjectResidentId: n < 3 ? SUBJECT : null,
        purpose: "テスト",
      }),
    );
  }
});
afterAll(async () => {
  await db.destroy();
  await t.drop();
});

describe("listAuditLog (auditors)", () => {
  it("filters one municipality's rows, newest first, pages by id, and logs the viewing itself", async () => {
    const page1 = await listAuditLog(db, { lgCode: SUMIDA, actor: auditor, purpose: "定期監査", limit: 4 });
    expect(page1.rows).toHaveLength(4);
    expect(page1.rows.map((r) => r.id)).toEqual([...page1.rows.map((r) => r.id)].sort((a, b) => b - a));
    const page2 = await listAuditLog(db, {
      lgCode: SUMIDA,
      actor: auditor,
      purpose: "定期監査",
      limit: 4,
      beforeId: page1.nextBeforeId!,
    });
    // The 6 rows of 墨田区 (a page never lists its own viewing, which is appended after it).
    expect(page1.rows.length + page2.rows.length).toBe(6);
    expect(page2.nextBeforeId).toBeNull();
    const latest = await listAuditLog(db, { lgCode: SUMIDA, actor: auditor, purpose: "定期監査", limit: 2 });
    expect(latest.rows.map((r) => [r.action, r.actor, r.purpose])).toEqual([
      ["audit.view", "aud-1", "定期監査"],
      ["audit.view", "aud-1", "定期監査"],
    ]);

    const mine = await listAuditLog(db, {
      lgCode: SUMIDA,
      actor: auditor,
      purpose: "開示請求",
      subjectResidentId: SUBJECT,
    });
    expect(mine.rows.map((r) => r.subjectResidentId)).toEqual([SUBJECT, SUBJECT, SUBJECT]);
    const reads = await listAuditLog(db, {
      lgCode: SUMIDA,
      actor: auditor,
      purpose: "x",
      action: "myNumber.",
    });
    expect(reads.rows.every((r) => r.action === "myNumber.read")).toBe(true);
    expect(reads.rows).toHaveLength(2);
    const byStaff = await listAuditLog(db, {
      lgCode: SUMIDA,
      actor: auditor,
      purpose: "x",
      staffId: "clerk-1",
    });
    expect(byStaff.rows.map((r) => r.actor)).toEqual(["clerk-1", "clerk-1", "clerk-1"]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it("is for auditors of the municipality only, with a purpose; refusals are audited", async () => {
    await expect(listAuditLog(db, { lgCode: SUMIDA, actor: clerk, purpose: "x" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const taitoAuditor: Actor = { staffId: "aud-t", lgCode: "131067", roles: ["auditor"] };
    await expect(listAuditLog(db, { lgCode: SUMIDA, actor: taitoAuditor, purpose: "x" })).rejects.toThrow(
      /他の市区町村/,
    );
    await expect(listAuditLog(db, { lgCode: SUMIDA, actor: auditor, purpose: " " })).rejects.toBeInstanceOf(
      AuditQueryError,
    );
    await expect(
      listAuditLog(db, { lgCode: SUMIDA, actor: auditor, purpose: "x", from: "昨日" }),
    ).rejects.toThrow(/ISO 8601/);
    const refused = await listAuditLog(db, {
      lgCode: SUMIDA,
      actor: auditor,
      purpose: "x",
      action: "authorization.refused",
    });
    expect(refused.rows.map((r) => r.actor)).toEqual(["aud-t", "clerk-1"]);
  });
});

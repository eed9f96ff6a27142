import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/connect.js";
import { loader as auditPage, action as verify } from "../app/routes/audit._index.js";
import { loader as record } from "../app/routes/records.$residentId._index.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";

/** 監査ログ: auditors only, filters, paging, reading audited, chain verification naming the broken row. */

let office: TestBackoffice;
let viewedId: string;

beforeAll(async () => {
  office = await createTestBackoffice({ seed: true });
  // Something to find: a clerk of 台東区 opens a record of 台東区.
  const person = office.world.people.find((p) => p.lgCode === "131067")!;
  viewedId = (
    await office.db
      .selectFrom("register.resident")
      .select("id")
      .where("resident_code", "=", person.residentCode)
      .executeTakeFirstOrThrow()
  ).id;
  const clerk = await loginAs(office, "taito-clerk");
  await record({
    request: request(office, `/records/${viewedId}?purpose=counter`, { cookie: clerk.cookie }),
    context: office.context,
    params: { residentId: viewedId },
  });
});
afterAll(async () => {
  await office?.close();
});

const get = (cookie: string, query: string) =>
  run(() =>
    auditPage({
      request: request(office, `/audit${query}`, { cookie }),
      context: office.context,
      params: {},
    }),
  );
type Page = Exclude<Awaited<ReturnType<typeof auditPage>>, Response>;

describe("監査ログ", () => {
  it("shows an auditor the municipality's rows filtered by staff and resident, and logs the reading", async () => {
    const { cookie } = await loginAs(office, "taito-auditor");
    const data = (await get(cookie, `?purpose=periodic&staffId=taito-clerk&residentId=${viewedId}`)) as Page;
    expect(data.page?.rows.length).toBeGreaterThan(0);
    expect(data.page?.rows.every((r) => r.actor === "taito-clerk" && r.subjectResidentId === viewedId)).toBe(
      true,
    );
    expect(data.page?.rows.map((r) => r.action)).toContain("record.view");
    const byKind = (await get(cookie, "?purpose=periodic&action=record.view")) as Page;
    expect(byKind.page?.rows.every((r) => r.action === "record.view")).toBe(true);
    const reads = await office.db
      .selectFrom("audit.log")
      .select(["actor", "purpose"])
      .where("action", "=", "audit.view")
      .execute();
    expect(reads).toContainEqual({ actor: "taito-auditor", purpose: "定期監査" });
  });

  it("never shows another municipality's rows", async () => {
    const { cookie } = await loginAs(office, "sumida-auditor");
    const data = (await get(cookie, `?purpose=periodic&residentId=${viewedId}`)) as Page;
    expect(data.page?.rows).toEqual([]);
  });

  it("asks for a purpose and reports a bad filter next to its field, reading nothing", async () => {
    const { cookie } = await loginAs(office, "taito-auditor");
    const none = (await get(cookie, "")) as Page;
    expect(none.page).toBeNull();
    const bad = (await get(cookie, "?purpose=periodic&residentId=abc")) as Page;
    expect(bad.page).toBeNull();
    expect(bad.errors.residentId).toContain("UUID");
  });

  it("is refused to a clerk, a supervisor and an admin (403), page and action", async () => {
    for (const who of ["taito-clerk", "taito-supervisor", "taito-admin"]) {
      const { cookie, csrf } = await loginAs(office, who);
      expect(((await get(cookie, "?purpose=periodic")) as Response).status).toBe(403);
      const res = await run(() =>
        verify({
          request: request(office, "/audit", { cookie, form: { csrf } }),
          context: office.context,
          params: {},
        }),
      );
      expect((res as Response).status).toBe(403);
    }
  });

  it("verifies the chains (CSRF checked), then names the first tampered row", async () => {
    const { cookie, csrf } = await loginAs(office, "taito-auditor");
    const post = (token: string) =>
      run(() =>
        verify({
          request: request(office, "/audit", { cookie, form: { csrf: token } }),
          context: office.context,
          params: {},
        }),
      );
    expect(((await post("forged")) as Response).status).toBe(403);
    const ok = (await post(csrf)) as { verify: { ok: boolean } };
    expect(ok.verify.ok).toBe(true);

    const victim = Number(
      (
        await office.db
          .selectFrom("audit.log")
          .select("id")
          .where("lg_code", "=", "131067")
          .where("action", "=", "record.view")
          .orderBy("id")
          .executeTakeFirstOrThrow()
      ).id,
    );
    const admin = createDb(office.t.adminUrl, { max: 1 });
    try {
      await admin.transaction().execute(async (trx) => {
        await sql`alter table audit.log disable trigger log_append_only`.execute(trx);
        await sql`update audit.log set purpose = '書き換えた目的' where id = ${victim}`.execute(trx);
        await sql`alter table audit.log enable trigger log_append_only`.execute(trx);
      });
    } finally {
      await admin.destroy();
    }
    const broken = (await post(csrf)) as {
      verify: { ok: boolean; firstBrokenId?: number; ownChain?: boolean };
    };
    expect(broken.verify).toMatchObject({ ok: false, firstBrokenId: victim, ownChain: true });
    const other = await loginAs(office, "sumida-auditor");
    const seenFromSumida = (await run(() =>
      verify({
        request: request(office, "/audit", { cookie: other.cookie, form: { csrf: other.csrf } }),
        context: office.context,
        params: {},
      }),
    )) as { verify: { ok: boolean; ownChain?: boolean; reason?: string } };
    expect(seenFromSumida.verify).toMatchObject({ ok: false, ownChain: false, reason: "" });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as search, loader as searchPage } from "../app/routes/records._index.js";
import { loader as view } from "../app/routes/records.$residentId._index.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";

/**
 * 住民検索 and 住民票の閲覧 over the world's register: own municipality only, counter roles only,
 * CSRF on the search, every search and view audited with its purpose.
 */

let office: TestBackoffice;
const TAITO = "131067";
const SUMIDA = "131075";

beforeAll(async () => {
  office = await createTestBackoffice({ seed: true });
});
afterAll(async () => {
  await office?.close();
});

function personOf(
  lgCode: string,
  pred: (p: TestBackoffice["world"]["people"][number]) => boolean = () => true,
) {
  const p = office.world.people.find((x) => x.lgCode === lgCode && pred(x));
  if (!p) throw new Error(`the world file has no such person in ${lgCode}`);
  return p;
}

async function residentIdOf(residentCode: string): Promise<string> {
  const row = await office.db
    .selectFrom("register.resident")
    .select("id")
    .where("resident_code", "=", residentCode)
    .executeTakeFirstOrThrow();
  return row.id;
}

const post = (cookie: string, form: Record<string, string>) => ({
  request: request(office, "/records", { cookie, form }),
  context: office.context,
  params: {},
});

describe("住民検索", () => {
  it("finds a person of the municipality by the four items, never another municipality's", async () => {
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const own = personOf(TAITO);
    const hit = await search(
      post(cookie, {
        csrf,
        purpose: "counter",
        mode: "fourItems",
        name: `${own.name.family}${own.name.given}`,
      }),
    );
    expect(hit.hits?.map((h) => h.residentCode)).toContain(own.residentCode);
    expect(hit.hits?.every((h) => h.lgCode === TAITO)).toBe(true);
    const other = personOf(SUMIDA);
    const miss = await search(
      post(cookie, {
        csrf,
        purpose: "counter",
        mode: "fourItems",
        name: `${other.name.family}${other.name.given}`,
        birthDate: other.birthDate,
      }),
    );
    expect(miss.hits).toEqual([]);
  });

  it("finds by 個人番号 without sending the number back, and audits it as a use of the number", async () => {
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const own = personOf(TAITO);
    const res = await search(
      post(cookie, { csrf, purpose: "identity", mode: "myNumber", myNumber: own.myNumber }),
    );
    expect(res.hits?.map((h) => h.residentCode)).toEqual([own.residentCode]);
    expect(JSON.stringify(res)).not.toContain(own.myNumber);
    const audit = await office.db
      .selectFrom("audit.log")
      .select(["action", "purpose", "actor"])
      .where("action", "=", "myNumber.search")
      .execute();
    expect(audit).toContainEqual({ action: "myNumber.search", purpose: "本人確認", actor: "taito-clerk" });
  });

  it("shows field errors for bad input and runs no search", async () => {
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const before = await office.db
      .selectFrom("audit.log")
      .select(({ fn }) => fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    const res = await search(post(cookie, { csrf, mode: "residentCode", residentCode: "123" }));
    expect(res.hits).toBeNull();
    const errors = (res.result as { error?: Record<string, string[]> }).error ?? {};
    expect(errors.purpose?.[0]).toContain("利用目的");
    expect(errors.residentCode?.[0]).toContain("11桁");
    const after = await office.db
      .selectFrom("audit.log")
      .select(({ fn }) => fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("refuses a forged form (CSRF) and an auditor", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const forged = await run(() =>
      search(post(cookie, { csrf: "x", purpose: "counter", mode: "fourItems", name: "浅草" })),
    );
    expect((forged as Response).status).toBe(403);
    const auditor = await loginAs(office, "taito-auditor");
    const page = await run(() =>
      searchPage({
        request: request(office, "/records", { cookie: auditor.cookie }),
        context: office.context,
        params: {},
      }),
    );
    expect((page as Response).status).toBe(403);
    const act = await run(() =>
      search(
        post(auditor.cookie, { csrf: auditor.csrf, purpose: "counter", mode: "fourItems", name: "浅草" }),
      ),
    );
    expect((act as Response).status).toBe(403);
  });
});

describe("住民票の閲覧", () => {
  const open = (cookie: string, id: string, query = "?purpose=counter") =>
    run(() =>
      view({
        request: request(office, `/records/${id}${query}`, { cookie }),
        context: office.context,
        params: { residentId: id },
      }),
    );

  it("shows the record and its history, consistent with the record, and audits the view with its purpose", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const own = personOf(TAITO);
    const id = await residentIdOf(own.residentCode);
    const data = (await open(cookie, id)) as Exclude<Awaited<ReturnType<typeof view>>, Response>;
    expect(data.page?.record.residentCode).toBe(own.residentCode);
    expect(data.page?.history.length).toBeGreaterThan(0);
    expect(data.page?.historyConsistent).toBe(true);
    expect(JSON.stringify(data)).not.toContain(own.myNumber);
    const audit = await office.db
      .selectFrom("audit.log")
      .select(["actor", "purpose", "subject"])
      .where("action", "=", "record.view")
      .where("subject", "=", id)
      .execute();
    expect(audit).toContainEqual({ actor: "taito-clerk", purpose: "窓口での届出・申請の審査", subject: id });
  });

  it("asks for the purpose first when none is given (and audits nothing)", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const id = await residentIdOf(personOf(TAITO).residentCode);
    const data = (await open(cookie, id, "")) as { ask: boolean };
    expect(data.ask).toBe(true);
  });

  it("does not open another municipality's record (404), for a clerk of 台東区", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const id = await residentIdOf(personOf(SUMIDA).residentCode);
    const res = await open(cookie, id);
    expect((res as Response).status).toBe(404);
  });

  it("is refused to an auditor (403)", async () => {
    const { cookie } = await loginAs(office, "taito-auditor");
    const id = await residentIdOf(personOf(TAITO).residentCode);
    const res = await open(cookie, id);
    expect((res as Response).status).toBe(403);
  });

  it("shows the support-measure banner for a person under a support measure", async () => {
    const today = office.services.today();
    const protectedPerson = office.world.people.find(
      (p) =>
        office.world.municipalities.some((m) => m.hosted && m.lgCode === p.lgCode) &&
        p.supportMeasure &&
        p.supportMeasure.since <= today &&
        (p.supportMeasure.extendedUntil ?? p.supportMeasure.until ?? "9999") >= today,
    );
    if (!protectedPerson) return expect.fail("the world file has no person under a support measure today");
    const staffId = office.world.staff.find(
      (s) => s.lgCode === protectedPerson.lgCode && s.roles.includes("clerk"),
    )?.id;
    const { cookie } = await loginAs(office, staffId ?? "");
    const id = await residentIdOf(protectedPerson.residentCode);
    const data = (await open(cookie, id)) as Exclude<Awaited<ReturnType<typeof view>>, Response>;
    expect(data.page?.supportMeasure).not.toBeNull();
    const other = await residentIdOf(personOf(protectedPerson.lgCode, (p) => !p.supportMeasure).residentCode);
    const plain = (await open(cookie, other)) as Exclude<Awaited<ReturnType<typeof view>>, Response>;
    expect(plain.page?.supportMeasure).toBeNull();
  });
});

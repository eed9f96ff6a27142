import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as list, action as search } from "../app/routes/reservations._index.js";
import { loader as detail } from "../app/routes/reservations.$id._index.js";
import { insertReservation } from "../pipeline/reservations.queries.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";

/** 予約一覧 and its detail: own municipality only, clerks and supervisors only, views audited. */

let office: TestBackoffice;
const TAITO = "131067";
const SUMIDA = "131075";
const MY_NUMBER = "123456789018";

function person(given: string, givenKana: string, head: boolean) {
  return {
    residentCode: `9${String(Math.floor(Math.random() * 1e10)).padStart(10, "0")}`,
    myNumber: MY_NUMBER,
    name: { family: "試験", given, familyKana: "シケン", givenKana },
    birthDate: "1985-04-12",
    sex: "male",
    householdHead: head,
    householdHeadName: "試験 太郎",
    relationship: head ? "世帯主" : "妻",
    nationality: "日本",
    residentSince: "2010-04-01",
    addressSince: "2010-04-01",
    statusLines: [],
    supportMeasure: false,
  };
}

async function reservation(lgCode: string, opts: { visit: string | null; given: string; kana: string }) {
  const id = randomUUID();
  const persons = [person(opts.given, opts.kana, true)];
  await insertReservation(office.db, {
    id,
    lgCode,
    applicationId: randomUUID(),
    receiptNumber: null,
    certificateId: `C-${id.slice(0, 8)}`,
    originLgCode: SUMIDA,
    messageId: randomUUID(),
    people: persons.map(({ myNumber: _m, ...p }) => p),
    plannedMoveOutDate: "2026-11-20",
    plannedVisitDate: opts.visit,
    certificate: {
      certificateId: `C-${id.slice(0, 8)}`,
      issuedOn: "2026-11-18",
      origin: { lgCode: SUMIDA, address: { lgCode: SUMIDA, line: "東京都墨田区吾妻橋一丁目1番1号" } },
      destination: { lgCode, address: { lgCode, line: "東京都台東区浅草一丁目1番1号" } },
      plannedMoveOutDate: "2026-11-20",
      persons,
    },
  });
  return id;
}

let today: string;
let later: string;
let other: string;

beforeAll(async () => {
  office = await createTestBackoffice();
  today = await reservation(TAITO, { visit: "2026-11-26", given: "今日", kana: "キョウ" });
  later = await reservation(TAITO, { visit: "2026-12-01", given: "後日", kana: "ゴジツ" });
  other = await reservation(SUMIDA, { visit: "2026-11-26", given: "墨田側", kana: "スミダガワ" });
});
afterAll(async () => {
  await office?.close();
});

const args = (path: string, cookie: string, params: Record<string, string> = {}) => ({
  request: request(office, path, { cookie }),
  context: office.context,
  params,
});

describe("予約一覧", () => {
  it("lists the municipality's waiting reservations, today's first, and no other municipality's", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const data = await list(args("/reservations", cookie));
    expect(data.reservations.map((r) => r.id)).toEqual([today, later]);
    expect(data.today).toBe("2026-11-26");
  });

  it("searches by name (kanji or kana, spaces ignored) and by application id, by POST with CSRF", async () => {
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const post = (q: string, token = csrf) => ({
      request: request(office, "/reservations", { cookie, form: { csrf: token, q } }),
      context: office.context,
      params: {},
    });
    const byKanji = await search(post("試験 後日"));
    expect(byKanji.reservations.map((r) => r.id)).toEqual([later]);
    const byKana = await search(post("キョウ"));
    expect(byKana.reservations.map((r) => r.id)).toEqual([today]);
    const all = await list(args("/reservations", cookie));
    const appId = all.reservations.find((r) => r.id === later)?.applicationId ?? "";
    const byId = await search(post(appId));
    expect(byId.reservations.map((r) => r.id)).toEqual([later]);
    const none = await search(post("墨田側"));
    expect(none.reservations).toEqual([]);
    const forged = await run(() => search(post("試験", "forged")));
    expect((forged as Response).status).toBe(403);
  });

  it("is refused to an auditor and an admin (403)", async () => {
    for (const who of ["taito-auditor", "taito-admin"]) {
      const { cookie } = await loginAs(office, who);
      const res = await run(() => list(args("/reservations", cookie)));
      expect((res as Response).status).toBe(403);
    }
  });
});

describe("予約の詳細", () => {
  it("shows the certificate and the people, without the 個人番号, and audits the view", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const data = await detail(args(`/reservations/${today}`, cookie, { id: today }));
    expect(data.certificate?.originLine).toBe("東京都墨田区吾妻橋一丁目1番1号");
    expect(data.persons.map((p) => p.name?.given)).toEqual(["今日"]);
    expect(JSON.stringify(data)).not.toContain(MY_NUMBER);
    const audit = await office.db
      .selectFrom("audit.log")
      .select(["action", "actor", "purpose", "detail"])
      .where("action", "=", "reservation.view")
      .execute();
    expect(
      audit.some(
        (a) => a.actor === "taito-clerk" && (a.detail as { reservationId?: string }).reservationId === today,
      ),
    ).toBe(true);
  });

  it("does not open another municipality's reservation (404)", async () => {
    const { cookie } = await loginAs(office, "taito-clerk");
    const res = await run(() => detail(args(`/reservations/${other}`, cookie, { id: other })));
    expect((res as Response).status).toBe(404);
    const bogus = await run(() => detail(args("/reservations/not-a-uuid", cookie, { id: "not-a-uuid" })));
    expect((bogus as Response).status).toBe(404);
  });

  it("is refused to an auditor (403)", async () => {
    const { cookie } = await loginAs(office, "taito-auditor");
    const res = await run(() => detail(args(`/reservations/${today}`, cookie, { id: today })));
    expect((res as Response).status).toBe(403);
  });
});

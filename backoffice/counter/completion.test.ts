import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../app/routes/reservations.$id.complete.js";
import { insertReservation } from "../pipeline/reservations.queries.js";
import { address, newMyNumber, newResidentCode } from "../register/test-support.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";

/**
 * 「転入を確定」 through the page: the pipeline's completeSpecialMoveIn runs, the people are in the
 * register, the 転入通知 waits to be sent and can be retried; validation errors name fields and write
 * nothing; other municipalities' staff get 404, auditors 403, forged forms 403.
 */

let office: TestBackoffice;
const SUMIDA = "131075";
const TAITO = "131067";

async function moveInReservation(opts: { planned?: string } = {}) {
  const id = randomUUID();
  const taito = office.world.municipalities.find((m) => m.lgCode === TAITO)!;
  const addr = address(taito);
  const persons = [
    { given: "一郎", kana: "イチロウ", head: true, rel: "世帯主", birth: "1980-01-02", sex: "male" },
    { given: "花子", kana: "ハナコ", head: false, rel: "妻", birth: "1982-03-04", sex: "female" },
  ].map((p) => ({
    residentCode: newResidentCode(),
    myNumber: newMyNumber(),
    name: { family: "移転", given: p.given, familyKana: "イテン", givenKana: p.kana },
    birthDate: p.birth,
    sex: p.sex,
    householdHead: p.head,
    householdHeadName: "移転 一郎",
    relationship: p.rel,
    nationality: "JP",
    honseki: { address: "東京都墨田区吾妻橋一丁目1番", headOfFamily: "移転 一郎" },
    residentSince: "2010-04-01",
    addressSince: "2010-04-01",
    statusLines: [],
    supportMeasure: false,
  }));
  const planned = opts.planned ?? office.services.today();
  await insertReservation(office.db, {
    id,
    lgCode: TAITO,
    applicationId: null,
    receiptNumber: null,
    certificateId: `C-${id.slice(0, 8)}`,
    originLgCode: SUMIDA,
    messageId: randomUUID(),
    people: persons.map(({ myNumber: _m, ...p }) => p),
    plannedMoveOutDate: planned,
    plannedVisitDate: planned,
    certificate: {
      certificateId: `C-${id.slice(0, 8)}`,
      issuedOn: planned,
      origin: { lgCode: SUMIDA, address: { lgCode: SUMIDA, line: "東京都墨田区吾妻橋一丁目1番1号" } },
      destination: {
        lgCode: TAITO,
        address: {
          lgCode: TAITO,
          line: `東京都台東区${addr.town}`,
          town: addr.town,
          chome: addr.chome,
          block: addr.block,
          lot: addr.lot,
        },
      },
      plannedMoveOutDate: planned,
      persons,
    },
  });
  return { id, persons, addr };
}

beforeAll(async () => {
  office = await createTestBackoffice({ seed: true });
});
afterAll(async () => {
  await office?.close();
});

type Loaded = Exclude<Awaited<ReturnType<typeof loader>>, Response>;
const get = (cookie: string, id: string) =>
  run(() =>
    loader({
      request: request(office, `/reservations/${id}/complete`, { cookie }),
      context: office.context,
      params: { id },
    }),
  );
const post = (cookie: string, id: string, form: Record<string, string>) =>
  run(() =>
    action({
      request: request(office, `/reservations/${id}/complete`, { cookie, form }),
      context: office.context,
      params: { id },
    }),
  );

function formFrom(data: Loaded, csrf: string, over: Record<string, string> = {}): Record<string, string> {
  const d = data.defaults!;
  const form: Record<string, string> = {
    csrf,
    intent: "complete",
    kind: data.reservation.kind,
    requestKey: d.requestKey,
    town: d.town,
    chome: String(d.chome),
    block: String(d.block),
    ...(d.lot ? { lot: String(d.lot) } : {}),
    household: d.household,
    head: d.head,
    movedOn: d.movedOn,
  };
  d.people.forEach((p, i) => {
    form[`people[${i}].id`] = p.id;
    form[`people[${i}].include`] = "on";
    if (!p.head) form[`people[${i}].relationship`] = p.relationship;
  });
  return { ...form, ...over };
}

describe("転入を確定", () => {
  it("completes the move-in, registers the people, and follows the 転入通知 (with retry)", async () => {
    const { id, persons } = await moveInReservation();
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const data = (await get(cookie, id)) as Loaded;
    expect(data.defaults?.people.map((p) => p.name)).toEqual(["移転 一郎", "移転 花子"]);
    const res = (await post(cookie, id, formFrom(data, csrf))) as Response;
    expect(res.status, JSON.stringify(res)).toBe(302);
    expect(res.headers.get("location")).toBe(`/reservations/${id}/complete`);

    const residents = await office.db
      .selectFrom("register.resident")
      .select(["resident_code", "relationship", "lg_code", "household_id"])
      .where(
        "resident_code",
        "in",
        persons.map((p) => p.residentCode),
      )
      .execute();
    expect(residents).toHaveLength(2);
    expect(new Set(residents.map((r) => r.household_id)).size).toBe(1);
    expect(residents.find((r) => r.resident_code === persons[0]!.residentCode)?.relationship).toBe("世帯主");

    const after = (await get(cookie, id)) as Loaded;
    expect(after.reservation.status).toBe("completed");
    expect(after.completion?.late).toBe(false);
    expect(after.messages.map((m) => m.kind)).toContain("moveInNotice");
    expect(after.messages.every((m) => m.status === "pending")).toBe(true);

    const retried = (await post(cookie, id, { csrf, intent: "retry", messageId: after.messages[0]!.id })) as {
      retried: string;
    };
    expect(retried.retried).toBe("queued");

    // The same form again (same request key) changes nothing and says so by redirecting to the status.
    const again = (await post(cookie, id, formFrom(data, csrf))) as Response;
    expect(again.status).toBe(302);
  });

  it("refuses a 特例転入 after its period with the reason on the date field, writing nothing", async () => {
    const { id, persons } = await moveInReservation({ planned: "2026-11-01" });
    const { cookie, csrf } = await loginAs(office, "taito-supervisor");
    const data = (await get(cookie, id)) as Loaded;
    expect(data.defaults?.movedOn).toBe("2026-11-01");
    const res = (await post(cookie, id, formFrom(data, csrf))) as {
      result: { error: Record<string, string[]> };
    };
    expect(res.result.error.movedOn?.[0]).toContain("特例転入の期限");
    const residents = await office.db
      .selectFrom("register.resident")
      .select("id")
      .where(
        "resident_code",
        "in",
        persons.map((p) => p.residentCode),
      )
      .execute();
    expect(residents).toEqual([]);
  });

  it("completes a 転居予約 of a whole household, flagged late after 14 days", async () => {
    const people = office.world.people.filter((p) => p.lgCode === TAITO);
    const householdId = people[0]!.householdId;
    const members = await office.db
      .selectFrom("register.resident")
      .select([
        "id",
        "resident_code",
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "birth_date",
        "relationship",
        "household_id",
      ])
      .where("lg_code", "=", TAITO)
      .where(
        "resident_code",
        "in",
        people.filter((p) => p.householdId === householdId).map((p) => p.residentCode),
      )
      .execute();
    const id = randomUUID();
    const applicationId = randomUUID();
    const taito = office.world.municipalities.find((m) => m.lgCode === TAITO)!;
    const to = address(taito, 1);
    await insertReservation(office.db, {
      id,
      lgCode: TAITO,
      kind: "relocation",
      applicationId,
      receiptNumber: null,
      certificateId: `relocation:${applicationId}`,
      originLgCode: TAITO,
      messageId: randomUUID(),
      people: members.map((m) => ({
        residentId: m.id,
        residentCode: m.resident_code,
        name: {
          family: m.family_name,
          given: m.given_name,
          familyKana: m.family_kana,
          givenKana: m.given_kana,
        },
        birthDate: String(m.birth_date),
        relationship: m.relationship,
        householdHead: m.relationship === "世帯主",
      })),
      plannedMoveOutDate: "2026-11-01",
      plannedVisitDate: null,
      certificate: {
        kind: "relocation",
        applicationId,
        residentIds: members.map((m) => m.id),
        householdId: members[0]!.household_id,
        address: to,
        plannedMoveDate: "2026-11-01",
        plannedVisitDate: null,
        filedOn: "2026-10-30",
      },
    });
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const data = (await get(cookie, id)) as Loaded;
    expect(data.defaults?.household).toBe("same");
    const res = await post(cookie, id, formFrom(data, csrf));
    expect((res as Response).status, JSON.stringify(res)).toBe(302);
    const after = (await get(cookie, id)) as Loaded;
    expect(after.reservation.status).toBe("completed");
    expect(after.completion?.late).toBe(true);
    expect(after.messages).toEqual([]);
    const moved = await office.db
      .selectFrom("register.resident")
      .select(["town", "block"])
      .where(
        "id",
        "in",
        members.map((m) => m.id),
      )
      .execute();
    expect(moved.every((m) => m.town === to.town && m.block === to.block)).toBe(true);
  });

  it("shows errors by field and writes nothing when the head or a relationship is missing", async () => {
    const { id, persons } = await moveInReservation();
    const { cookie, csrf } = await loginAs(office, "taito-clerk");
    const data = (await get(cookie, id)) as Loaded;
    const res = (await post(
      cookie,
      id,
      formFrom(data, csrf, { head: "", "people[1].relationship": "", block: "x" }),
    )) as {
      result: { error: Record<string, string[]> };
    };
    expect(res.result.error.head?.[0]).toContain("世帯主");
    expect(res.result.error["people[1].relationship"]?.[0]).toContain("続柄");
    expect(res.result.error.block?.[0]).toContain("数字");
    const residents = await office.db
      .selectFrom("register.resident")
      .select("id")
      .where(
        "resident_code",
        "in",
        persons.map((p) => p.residentCode),
      )
      .execute();
    expect(residents).toEqual([]);
    expect(((await get(cookie, id)) as Loaded).reservation.status).toBe("waiting");
  });

  it("refuses another municipality's staff (404), an auditor (403) and a forged form (403)", async () => {
    const { id } = await moveInReservation();
    const sumida = await loginAs(office, "sumida-clerk");
    expect(((await get(sumida.cookie, id)) as Response).status).toBe(404);
    const taito = await loginAs(office, "taito-clerk");
    const data = (await get(taito.cookie, id)) as Loaded;
    expect(((await post(sumida.cookie, id, formFrom(data, sumida.csrf))) as Response).status).toBe(404);
    const auditor = await loginAs(office, "taito-auditor");
    expect(((await get(auditor.cookie, id)) as Response).status).toBe(403);
    expect(((await post(auditor.cookie, id, formFrom(data, auditor.csrf))) as Response).status).toBe(403);
    expect(((await post(taito.cookie, id, formFrom(data, "forged"))) as Response).status).toBe(403);
    expect(((await get(taito.cookie, id)) as Loaded).reservation.status).toBe("waiting");
  });
});

import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/connect.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import { linkPendingAudit, verifyAuditChain } from "./audit.js";
import { type Actor, ForbiddenError } from "./authorization.js";
import { makeMyNumber } from "./identifiers.js";
import { insertResident } from "./search.fixtures.js";
import {
  findByMyNumber,
  findByResidentCode,
  NEAR_MISS_THRESHOLD,
  SearchError,
  searchKey,
  searchResidents,
  viewResident,
} from "./search.queries.js";

const SUMIDA = "131075";
const clerk: Actor = { staffId: "search-clerk", lgCode: SUMIDA, roles: ["clerk"] };
const keys = { encryptionKey: randomBytes(32), indexKey: randomBytes(32) };
const PURPOSE = "転入届の受付（世帯確認）";

let t: TestDatabase;
let admin: Kysely<unknown>;
let db: Kysely<BackofficeDatabase>;
const ids: Record<string, string> = {};
const codes: Record<string, string> = {};
const NUMBER = makeMyNumber("40000000001");

beforeAll(async () => {
  t = await createTestDatabase();
  admin = createDb<unknown>(t.adminUrl, { max: 2 });
  db = backofficeDb(t);
  const people = {
    takahashiOld: {
      familyName: "髙橋",
      givenName: "一郎",
      familyKana: "タカハシ",
      givenKana: "イチロウ",
      birthDate: "1970-01-02",
    },
    takahashiMaru: {
      familyName: "高橋",
      givenName: "一郎丸",
      familyKana: "タカハシ",
      givenKana: "イチロウマル",
    },
    otakahashi: {
      familyName: "大高橋",
      givenName: "一郎",
      familyKana: "オオタカハシ",
      givenKana: "イチロウ",
    },
    sumida: {
      familyName: "墨田",
      givenName: "太郎",
      familyKana: "スミダ",
      givenKana: "タロウ",
      birthDate: "1985-04-12",
      sex: "male" as const,
      addressLine: "東京都墨田区吾妻橋一丁目23番1号 吾妻橋レジデンス502",
      myNumber: NUMBER,
    },
    sumidaHanako: {
      familyName: "墨田",
      givenName: "花子",
      familyKana: "スミダ",
      givenKana: "ハナコ",
      birthDate: "1987-09-03",
      sex: "female" as const,
      addressLine: "東京都墨田区吾妻橋一丁目23番1号 吾妻橋レジデンス502",
    },
    yamasaki: { familyName: "山﨑", givenName: "実", familyKana: "ヤマサキ", givenKana: "ミノル" },
    watanabe: { familyName: "渡邊", givenName: "恵", familyKana: "ワタナベ", givenKana: "メグミ" },
    removed: {
      familyName: "業平",
      givenName: "トメ",
      familyKana: "ナリヒラ",
      givenKana: "トメ",
      birthDate: "1935-02-11",
      sex: "female" as const,
      status: "removed" as const,
    },
    elsewhere: {
      familyName: "墨田",
      givenName: "太郎",
      familyKana: "スミダ",
      givenKana: "タロウ",
      lgCode: "131067",
    },
  };
  for (const [key, p] of Object.entries(people)) {
    const r = await insertResident(admin, p, keys);
    ids[key] = r.id;
    codes[key] = r.residentCode;
  }
  for (let n = 0; n < 25; n++) {
    await insertResident(admin, {
      familyName: "押上",
      givenName: `健${String.fromCodePoint(0x4e00 + n)}`,
      familyKana: "オシアゲ",
      givenKana: `ケン${n}`,
      birthDate: "1990-11-30",
    });
  }
});
afterAll(async () => {
  await db.destroy();
  await admin.destroy();
  await t.drop();
});

const names = (page: { rows: { familyName: string; givenName: string }[] }) =>
  page.rows.map((r) => r.familyName + r.givenName);

const audit = async () =>
  (
    await sql<{
      action: string;
      actor: string;
      purpose: string;
      subject: string | null;
      detail: Record<string, unknown>;
    }>`
      select action, actor, purpose, subject, detail from audit.log order by id`.execute(db)
  ).rows;

describe("four-item search", () => {
  it("folds variant kanji both ways: 高橋 finds 髙橋, 山崎 finds 山﨑, 渡辺 finds 渡邊", async () => {
    const q = (name: string) => searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name });
    expect(names(await q("高橋一郎"))[0]).toBe("髙橋一郎");
    expect(names(await q("山崎 実"))).toEqual(["山﨑実"]);
    expect(names(await q("渡辺恵"))).toEqual(["渡邊恵"]);
    expect(names(await q("渡邉"))).toEqual(["渡邊恵"]);
  });

  it("matches kana across width, script and spacing", async () => {
    for (const name of ["ｽﾐﾀﾞ ﾀﾛｳ", "すみだ　たろう", "スミダタロウ", "墨田　太郎", " 墨田太郎 "]) {
      const page = await searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name });
      expect(names(page)[0], name).toBe("墨田太郎");
      expect(page.rows[0]!.score, name).toBe(1);
    }
    const family = await searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name: "ｽﾐﾀﾞ" });
    expect(names(family).sort()).toEqual(["墨田太郎", "墨田花子"]);
  });

  it("ranks the exact name before longer ones, and contained names by how much of them matches", async () => {
    const page = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "高橋一郎",
    });
    expect(names(page)).toEqual(["髙橋一郎", "高橋一郎丸"]);
    const [exact, prefix] = page.rows.map((r) => r.score);
    expect(exact).toBe(1);
    expect(prefix).toBeGreaterThan(0.6);
    expect(prefix).toBeLessThan(0.9);
    const contained = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "橋一郎",
    });
    expect(contained.matchedBy).toBe("contains");
    expect(names(contained)).toEqual(["髙橋一郎", "大高橋一郎", "高橋一郎丸"]);
    const scores = contained.rows.map((r) => r.score);
    expect(scores[0]).toBeCloseTo(0.3 + (0.3 * 3) / 4);
    expect(scores.every((x) => x > 0.3 && x < 0.6)).toBe(true);
  });

  it("lists similar names (trigram similarity, below 0.3) only when no name starts with or contains the query", async () => {
    const q = (name: string) => searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name });
    const prefix = await q("ｽﾐﾀﾞﾀﾛ");
    expect(names(prefix)).toEqual(["墨田太郎"]);
    expect(prefix.matchedBy).toBe("prefix");
    const typo = await q("スミタタロウ");
    expect(typo.matchedBy).toBe("similar");
    expect(names(typo)).toContain("墨田太郎");
    expect(typo.rows.every((r) => r.score > 0 && r.score < 0.3)).toBe(true);
    expect((await audit()).at(-1)!.detail).toMatchObject({ matchedBy: "similar", total: typo.total });
  });

  it("lists a one-character slip but not a name below the near-miss threshold", async () => {
    const q = (name: string) => searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name });
    expect(names(await q("ワタヌベメグミ"))).toEqual(["渡邊恵"]);
    // Two slips: similarity 0.45, above pg_trgm's default 0.3 but below NEAR_MISS_THRESHOLD.
    const far = "ワタヌベメグム";
    const sim = await sql<{ s: number }>`
      select similarity(register.search_key('ワタナベメグミ'), register.search_key(${far})) as s`.execute(db);
    expect(sim.rows[0]!.s).toBeGreaterThan(0.3);
    expect(sim.rows[0]!.s).toBeLessThan(NEAR_MISS_THRESHOLD);
    expect(names(await q(far))).toEqual([]);
  });

  it("combines birth date, sex and address; address text is width-folded", async () => {
    const byBirth = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "墨田",
      birthDate: "1987-09-03",
    });
    expect(names(byBirth)).toEqual(["墨田花子"]);
    const bySex = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      address: "吾妻橋一丁目２３番",
      sex: "male",
    });
    expect(names(bySex)).toEqual(["墨田太郎"]);
    const byAddress = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      address: "吾妻橋二丁目",
    });
    expect(byAddress.total).toBe(0);
    const both = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      address: "レジデンス５０２",
    });
    expect(names(both).sort()).toEqual(["墨田太郎", "墨田花子"]);
  });

  it("the query's search key is the database's (register.search_key), for any character", async () => {
    const samples = ["スミダタロウ", "墨田太郎", "𠮷野", "NGUYENVANAN", "ｱ", "a%_\\", ""];
    for (const s of samples) {
      const got = (await sql<{ k: string | null }>`select register.search_key(${s}) as k`.execute(db))
        .rows[0]!.k;
      expect(got, s).toBe(searchKey(s));
    }
    // Distinct characters of the BMP get distinct codes.
    expect(new Set(["ア", "イ", "高", "髙", "一", "二"].map(searchKey)).size).toBe(6);
  });

  it("a common name lists the names that start with it only, however many; contained ones when none do", async () => {
    await sql`
      insert into register.household (id, lg_code) values ('00000000-0000-4000-8000-00000000b0ad', ${SUMIDA})`.execute(
      admin,
    );
    await sql`
      insert into register.resident (
        id, lg_code, household_id, relationship, resident_code, family_name, given_name, family_kana, given_kana,
        name_search, kana_search, birth_date, sex, nationality, resident_since, address_since, town, chome, block,
        address_line, status, version)
      select gen_random_uuid(), ${SUMIDA}, '00000000-0000-4000-8000-00000000b0ad', '世帯員', '8' || lpad(i::text, 10, '0'),
        '広野', '花' || i, 'ヒロノ', 'ハナ', '広野花' || i, 'ヒロノハナ', '2001-01-01', 'female', 'JP',
        '2001-01-01', '2001-01-01', '業平', 1, 1, '東京都墨田区業平一丁目1番1号', 'active', 1
      from generate_series(1, 250) i`.execute(admin);
    await insertResident(admin, {
      familyName: "大広野",
      givenName: "花",
      familyKana: "オオヒロノ",
      givenKana: "ハナ",
    });
    const common = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "ヒロノ",
    });
    expect(common).toMatchObject({ matchedBy: "prefix", total: 250 });
    expect(common.rows.map((r) => r.familyName)).not.toContain("大広野");
    // Narrowed by birth date, nobody starts with the name: contained names come back.
    const narrow = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "ヒロノ",
      birthDate: "1980-01-01",
    });
    expect(narrow.matchedBy).toBe("contains");
    expect(names(narrow)).toEqual(["大広野花"]);
  });

  it("paginates with a stable order and the total", async () => {
    const seen: string[] = [];
    for (const offset of [0, 10, 20, 30]) {
      const page = await searchResidents(db, {
        lgCode: SUMIDA,
        actor: clerk,
        purpose: PURPOSE,
        name: "押上",
        limit: 10,
        offset,
      });
      expect(page.total).toBe(25);
      expect(page.rows).toHaveLength(offset === 30 ? 0 : offset === 20 ? 5 : 10);
      seen.push(...page.rows.map((r) => r.id));
    }
    expect(new Set(seen).size).toBe(25);
    await expect(
      searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name: "押上", limit: 101 }),
    ).rejects.toThrow(SearchError);
  });

  it("shows 除票 only when asked, and never another municipality's records", async () => {
    const q = { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name: "なりひら とめ" };
    expect((await searchResidents(db, q)).total).toBe(0);
    const withRemoved = await searchResidents(db, { ...q, includeRemoved: true });
    expect(withRemoved.rows.map((r) => [r.familyName, r.status, r.removedOn])).toEqual([
      ["業平", "removed", "2024-04-01"],
    ]);
    const sumida = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "墨田太郎",
    });
    expect(sumida.rows.every((r) => r.lgCode === SUMIDA)).toBe(true);
    expect(sumida.rows.map((r) => r.id)).not.toContain(ids.elsewhere);
  });

  it("refuses a search without a purpose or without any of name, birth date, address", async () => {
    await expect(
      searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: "", name: "墨田" }),
    ).rejects.toThrow(/目的/);
    await expect(
      searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, sex: "male" }),
    ).rejects.toThrow(/いずれか/);
    await expect(
      searchResidents(db, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, birthDate: "1985/04/12" }),
    ).rejects.toThrow(/YYYY-MM-DD/);
  });
});

describe("lookups by identifier", () => {
  it("by 住民票コード, with 除票 only when asked", async () => {
    const hit = await findByResidentCode(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      residentCode: codes.sumida!,
    });
    expect(hit).toMatchObject({
      id: ids.sumida,
      familyName: "墨田",
      givenName: "太郎",
      birthDate: "1985-04-12",
    });
    expect(hit).not.toHaveProperty("myNumber");
    const args = { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, residentCode: codes.removed! };
    expect(await findByResidentCode(db, args)).toBeNull();
    expect(await findByResidentCode(db, { ...args, includeRemoved: true })).toMatchObject({
      status: "removed",
    });
    const bad = `${codes.sumida!.slice(0, 10)}${(Number(codes.sumida![10]) + 1) % 10}`;
    const err = await findByResidentCode(db, { ...args, residentCode: bad }).catch((e) => e);
    expect(err).toBeInstanceOf(SearchError);
    expect(err.message).not.toContain(bad);
  });

  it("each 住民票コード look-up commits its audit row with the read (one statement), linked into the chain later", async () => {
    const before = (await audit()).length;
    const args = { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE };
    await findByResidentCode(db, { ...args, residentCode: codes.sumida! });
    await findByResidentCode(db, { ...args, residentCode: codes.removed! });
    const rows = (await audit()).slice(before);
    expect(rows).toEqual([
      {
        action: "search.residentCode",
        actor: clerk.staffId,
        purpose: PURPOSE,
        subject: ids.sumida,
        detail: { found: true, includeRemoved: false },
      },
      {
        action: "search.residentCode",
        actor: clerk.staffId,
        purpose: PURPOSE,
        subject: null,
        detail: { found: false, includeRemoved: false },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(codes.sumida!);
    // Written unlinked (no chain lock on the look-up's path); the next link chains them in order.
    const unlinked = await sql<{
      n: number;
    }>`select count(*)::int as n from audit.log where hash is null`.execute(db);
    expect(unlinked.rows[0]!.n).toBeGreaterThanOrEqual(2);
    await linkPendingAudit(db);
    const after = await sql<{
      n: number;
    }>`select count(*)::int as n from audit.log where hash is null`.execute(db);
    expect(after.rows[0]!.n).toBe(0);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: before + 2 });
  });

  it("inside a caller's transaction, a look-up's audit row commits or rolls back with it", async () => {
    const before = (await audit()).length;
    await expect(
      db.transaction().execute(async (trx) => {
        await findByResidentCode(trx, {
          lgCode: SUMIDA,
          actor: clerk,
          purpose: PURPOSE,
          residentCode: codes.sumida!,
        });
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(await audit()).toHaveLength(before);
  });

  it("by 個人番号 through the blind index, audited as a use of the number without storing it", async () => {
    const hit = await findByMyNumber(
      db,
      { lgCode: SUMIDA, actor: clerk, purpose: "個人番号による本人特定", myNumber: NUMBER },
      keys,
    );
    expect(hit?.id).toBe(ids.sumida);
    // Under other keys the index differs: nobody is found.
    const other = { encryptionKey: keys.encryptionKey, indexKey: randomBytes(32) };
    expect(
      await findByMyNumber(db, { lgCode: SUMIDA, actor: clerk, purpose: "x", myNumber: NUMBER }, other),
    ).toBeNull();
    const rows = (await audit()).filter((r) => r.action === "myNumber.search");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      subject: ids.sumida,
      purpose: "個人番号による本人特定",
      actor: clerk.staffId,
    });
    const text = (
      await sql<{ text: string }>`select string_agg(l::text, ' ') as text from audit.log l`.execute(db)
    ).rows[0]!.text;
    expect(text).not.toContain(NUMBER);
    const wrong = `${NUMBER.slice(0, 11)}${(Number(NUMBER[11]) + 1) % 10}`;
    const err = await findByMyNumber(
      db,
      { lgCode: SUMIDA, actor: clerk, purpose: "x", myNumber: wrong },
      keys,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(SearchError);
    expect(err.message).not.toContain(wrong);
  });
});

describe("viewResident (住民票の閲覧)", () => {
  it("opens a record without its 個人番号, audited with whose record and why", async () => {
    const view = await viewResident(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: "窓口での確認",
      residentId: ids.sumida!,
    });
    expect(view).toMatchObject({ id: ids.sumida, familyName: "墨田", hasMyNumber: true, status: "active" });
    expect(view).not.toHaveProperty("myNumberCipher");
    expect(view).not.toHaveProperty("myNumber");
    expect((await audit()).at(-1)).toMatchObject({
      action: "record.view",
      subject: ids.sumida,
      purpose: "窓口での確認",
      actor: clerk.staffId,
    });
  });

  it("reads the 個人番号 only when asked, with its own audit row", async () => {
    const before = (await audit()).length;
    const view = await viewResident(
      db,
      {
        lgCode: SUMIDA,
        actor: clerk,
        purpose: "個人番号の確認",
        residentId: ids.sumida!,
        withMyNumber: true,
      },
      keys,
    );
    expect(view?.myNumber).toBe(NUMBER);
    expect((await audit()).slice(before).map((r) => r.action)).toEqual(["record.view", "myNumber.read"]);
  });

  it("opens a 除票 only with includeRemoved, and never another municipality's record", async () => {
    const args = { lgCode: SUMIDA, actor: clerk, purpose: "除票の確認", residentId: ids.removed! };
    expect(await viewResident(db, args)).toBeNull();
    expect(await viewResident(db, { ...args, includeRemoved: true })).toMatchObject({ status: "removed" });
    expect(await viewResident(db, { ...args, residentId: ids.elsewhere! })).toBeNull();
    const taito: Actor = { staffId: "taito-c", lgCode: "131067", roles: ["clerk"] };
    await expect(viewResident(db, { ...args, actor: taito, residentId: ids.sumida! })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });
});

describe("authorization and audit of searches", () => {
  it("every search writes who, where, why and what came back (ids, not values)", async () => {
    const before = (await audit()).length;
    const page = await searchResidents(db, {
      lgCode: SUMIDA,
      actor: clerk,
      purpose: PURPOSE,
      name: "墨田",
      sex: "female",
    });
    const rows = await audit();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({
      action: "search.fourItems",
      actor: clerk.staffId,
      purpose: PURPOSE,
      subject: ids.sumidaHanako,
      detail: {
        criteria: ["name", "sex"],
        total: 1,
        resultIds: page.rows.map((r) => r.id),
        includeRemoved: false,
      },
    });
    expect(JSON.stringify(rows.at(-1))).not.toContain("墨田");
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it("台東区 staff cannot search 墨田区, an auditor cannot search; the refusal is audited", async () => {
    const taito: Actor = { staffId: "taito-clerk-x", lgCode: "131067", roles: ["clerk"] };
    const auditor: Actor = { staffId: "sumida-auditor-x", lgCode: SUMIDA, roles: ["auditor"] };
    for (const actor of [taito, auditor]) {
      await expect(
        searchResidents(db, { lgCode: SUMIDA, actor, purpose: PURPOSE, name: "墨田" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
    const refused = (await audit()).filter((r) => r.action === "authorization.refused");
    expect(refused.slice(-2).map((r) => r.actor)).toEqual([taito.staffId, auditor.staffId]);
  });

  it("inside a caller's transaction, the search and its audit row commit or roll back together", async () => {
    const before = (await audit()).length;
    await expect(
      db.transaction().execute(async (trx) => {
        await searchResidents(trx, { lgCode: SUMIDA, actor: clerk, purpose: PURPOSE, name: "墨田" });
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(await audit()).toHaveLength(before);
  });
});

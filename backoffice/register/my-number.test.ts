import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/connect.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { ConfigError } from "../../lib/env.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import { verifyAuditChain } from "./audit.js";
import { makeMyNumber } from "./identifiers.js";
import {
  loadMyNumberKeys,
  MyNumberError,
  type MyNumberKeys,
  myNumberIndex,
  openMyNumber,
  readMyNumber,
  sealMyNumber,
} from "./my-number.js";
import { insertResident } from "./search.fixtures.js";

const NUMBER = "983205673214"; // DOMAIN.md's valid example
const keys = (): MyNumberKeys => ({ encryptionKey: randomBytes(32), indexKey: randomBytes(32) });

/** Every message of an error and its causes, to prove no number leaks through any of them. */
function messagesOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message} ${String((err as Error).stack)}`;
  }
  throw new Error("expected a throw");
}

describe("sealMyNumber / openMyNumber", () => {
  const k = keys();

  it("round-trips, with the documented layout and a fresh IV each time", () => {
    const a = sealMyNumber(NUMBER, k);
    const b = sealMyNumber(NUMBER, k);
    expect(openMyNumber(a.cipher, k)).toBe(NUMBER);
    expect(openMyNumber(b.cipher, k)).toBe(NUMBER);
    expect(a.cipher.length).toBe(1 + 12 + 16 + 12);
    expect(a.cipher[0]).toBe(1);
    expect(a.cipher.equals(b.cipher)).toBe(false);
    expect(a.cipher.subarray(1, 13).equals(b.cipher.subarray(1, 13))).toBe(false);
    expect(a.cipher.toString("latin1")).not.toContain(NUMBER);
    expect(a.index.equals(b.index)).toBe(true);
  });

  it("detects tampering anywhere in the cipher (GCM) and a wrong key", () => {
    const { cipher } = sealMyNumber(NUMBER, k);
    for (let i = 1; i < cipher.length; i++) {
      const bad = Buffer.from(cipher);
      bad[i]! ^= 0x01;
      expect(() => openMyNumber(bad, k), `byte ${i}`).toThrow(MyNumberError);
    }
    const badVersion = Buffer.from(cipher);
    badVersion[0] = 2;
    expect(() => openMyNumber(badVersion, k)).toThrow(/版/);
    expect(() => openMyNumber(cipher.subarray(0, 29), k)).toThrow(/長さ/);
    expect(() => openMyNumber(cipher, { ...k, encryptionKey: randomBytes(32) })).toThrow(/復号できません/);
  });

  it("refuses a number with a wrong check digit, without repeating it", () => {
    const wrong = `${NUMBER.slice(0, 11)}${(Number(NUMBER[11]) + 1) % 10}`;
    for (const bad of [wrong, "12345", `${NUMBER}0`, "９８３２０５６７３２１４"]) {
      const text = messagesOf(() => sealMyNumber(bad, k));
      expect(text).toMatch(/チェックデジット/);
      expect(text).not.toContain(bad);
      expect(text).not.toContain(NUMBER.slice(0, 11));
      expect(messagesOf(() => myNumberIndex(bad, k))).not.toContain(bad);
    }
  });
});

describe("myNumberIndex (blind index)", () => {
  it("is deterministic under one key, differs across keys, and does not use the encryption key", () => {
    const k = keys();
    const other = keys();
    expect(myNumberIndex(NUMBER, k).equals(myNumberIndex(NUMBER, { ...k }))).toBe(true);
    expect(myNumberIndex(NUMBER, k)).toHaveLength(32);
    expect(myNumberIndex(NUMBER, k).equals(myNumberIndex(NUMBER, other))).toBe(false);
    expect(
      myNumberIndex(NUMBER, k).equals(myNumberIndex(NUMBER, { ...k, encryptionKey: randomBytes(32) })),
    ).toBe(true);
    const second = makeMyNumber("12345678901");
    expect(myNumberIndex(NUMBER, k).equals(myNumberIndex(second, k))).toBe(false);
  });
});

describe("loadMyNumberKeys", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "juki-mynumber-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes base64 and base64url keys from the environment", () => {
    const e = randomBytes(32);
    const i = Buffer.from(Array.from({ length: 32 }, (_, n) => 0xfb + (n % 4)));
    const got = loadMyNumberKeys({
      DATA_DIR: dir,
      MY_NUMBER_ENCRYPTION_KEY: e.toString("base64"),
      MY_NUMBER_INDEX_KEY: i.toString("base64url"),
    });
    expect(got.encryptionKey.equals(e)).toBe(true);
    expect(got.indexKey.equals(i)).toBe(true);
  });

  it("generates stable, distinct development keys in DATA_DIR", () => {
    const a = loadMyNumberKeys({ DATA_DIR: dir });
    const b = loadMyNumberKeys({ DATA_DIR: dir });
    expect(a.encryptionKey).toHaveLength(32);
    expect(a.encryptionKey.equals(b.encryptionKey)).toBe(true);
    expect(a.indexKey.equals(b.indexKey)).toBe(true);
    expect(a.encryptionKey.equals(a.indexKey)).toBe(false);
  });

  it("names each malformed variable in one error, never echoing the value", () => {
    const shortKey = randomBytes(16).toString("base64");
    let err: unknown;
    try {
      loadMyNumberKeys({
        DATA_DIR: dir,
        MY_NUMBER_ENCRYPTION_KEY: shortKey,
        MY_NUMBER_INDEX_KEY: "not*base64!",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^MY_NUMBER_ENCRYPTION_KEY: .*got 16 bytes/);
    expect(lines[1]).toMatch(/^MY_NUMBER_INDEX_KEY: .*not base64/);
    expect((err as Error).message).not.toContain(shortKey);
  });

  it("refuses the same key for encryption and index", () => {
    const same = randomBytes(32).toString("base64");
    expect(() =>
      loadMyNumberKeys({ DATA_DIR: dir, MY_NUMBER_ENCRYPTION_KEY: same, MY_NUMBER_INDEX_KEY: same }),
    ).toThrow(/MY_NUMBER_INDEX_KEY: .*別の鍵/);
  });
});

describe("readMyNumber (every read audited)", () => {
  let t: TestDatabase;
  let admin: Kysely<unknown>;
  let db: Kysely<BackofficeDatabase>;
  const k = keys();
  const actor = { staffId: "test-clerk", lgCode: "131075", roles: ["clerk" as const] };
  let residentId: string;
  let withoutNumber: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    admin = createDb<unknown>(t.adminUrl, { max: 2 });
    db = backofficeDb(t);
    residentId = (
      await insertResident(
        admin,
        {
          familyName: "墨田",
          givenName: "太郎",
          familyKana: "スミダ",
          givenKana: "タロウ",
          myNumber: NUMBER,
        },
        k,
      )
    ).id;
    withoutNumber = (
      await insertResident(admin, {
        familyName: "押上",
        givenName: "健",
        familyKana: "オシアゲ",
        givenKana: "ケン",
      })
    ).id;
  });
  afterAll(async () => {
    await db.destroy();
    await admin.destroy();
    await t.drop();
  });

  async function auditRows() {
    return (
      await sql<{
        action: string;
        subject: string;
        purpose: string;
        actor: string;
        role: string;
        text: string;
      }>`select action, subject, purpose, actor, role, l::text as text from audit.log l order by id`.execute(
        db,
      )
    ).rows;
  }

  it("decrypts and writes the audit row in the same transaction", async () => {
    const got = await db
      .transaction()
      .execute((trx) =>
        readMyNumber(trx, { residentId, lgCode: "131075", actor, purpose: "本人確認情報の作成" }, k),
      );
    expect(got).toBe(NUMBER);
    const rows = await auditRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "myNumber.read",
      subject: residentId,
      purpose: "本人確認情報の作成",
      actor: "test-clerk",
      role: "clerk",
    });
    expect(rows.map((r) => r.text).join("\n")).not.toContain(NUMBER);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 1 });
  });

  it("leaves no read unrecorded: a rolled-back transaction takes the read and its row with it", async () => {
    const before = (await auditRows()).length;
    await expect(
      db.transaction().execute(async (trx) => {
        await readMyNumber(trx, { residentId, lgCode: "131075", actor, purpose: "テスト" }, k);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(await auditRows()).toHaveLength(before);
  });

  it("requires a purpose, the right municipality, and records a system reader too", async () => {
    await expect(
      db
        .transaction()
        .execute((trx) => readMyNumber(trx, { residentId, lgCode: "131075", actor, purpose: " " }, k)),
    ).rejects.toThrow(/目的/);
    await expect(
      db
        .transaction()
        .execute((trx) => readMyNumber(trx, { residentId, lgCode: "131067", actor, purpose: "x" }, k)),
    ).rejects.toThrow(/記録がありません/);
    const none = await db.transaction().execute((trx) =>
      readMyNumber(
        trx,
        {
          residentId: withoutNumber,
          lgCode: "131075",
          actor: { system: "identity-info" },
          purpose: "本人確認情報",
        },
        k,
      ),
    );
    expect(none).toBeNull();
    const last = (await auditRows()).at(-1)!;
    expect(last).toMatchObject({ actor: "identity-info", role: "system", subject: withoutNumber });
  });

  it("a wrong key fails without the number in the message", async () => {
    const err = await db
      .transaction()
      .execute((trx) =>
        readMyNumber(
          trx,
          { residentId, lgCode: "131075", actor, purpose: "x" },
          { ...keys(), indexKey: k.indexKey },
        ),
      )
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(MyNumberError);
    expect(`${(err as Error).message}${(err as Error).stack}`).not.toContain(NUMBER);
  });
});

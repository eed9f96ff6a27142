import fc from "fast-check";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/connect.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import {
  type AuditEntry,
  appendAudit,
  appendViewAudit,
  canonicalJson,
  linkPendingAudit,
  rowHash,
  verifyAuditChain,
} from "./audit.js";

let t: TestDatabase;
let admin: Kysely<BackofficeDatabase>;
let db: Kysely<BackofficeDatabase>;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = createDb<BackofficeDatabase>(t.adminUrl, { max: 2 });
  db = createDb<BackofficeDatabase>(t.backofficeUrl, { max: 22 });
});
afterAll(async () => {
  await db.destroy();
  await admin.destroy();
  await t.drop();
});

const entry = (n: number, lgCode = "131075"): AuditEntry => ({
  lgCode,
  actor: { staffId: "sumida-clerk", role: "clerk" },
  action: "record.view",
  subjectResidentId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  purpose: "窓口での本人確認",
  detail: { n, nested: { b: [1, "二", null], a: true } },
});

async function append(e: AuditEntry): Promise<void> {
  await db.transaction().execute((trx) => appendAudit(trx, e));
}

async function ids(): Promise<number[]> {
  return (await sql<{ id: number }>`select id from audit.log order by id`.execute(db)).rows.map((r) =>
    Number(r.id),
  );
}

/** As the owner: the only way to change a row is to switch the guard off deliberately. */
async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  await admin.transaction().execute(async (trx) => {
    await sql`alter table audit.log disable trigger log_append_only`.execute(trx);
    await statement.execute(trx);
    await sql`alter table audit.log enable trigger log_append_only`.execute(trx);
  });
}

describe("canonical serialisation", () => {
  it("does not depend on key order and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"x":2,"y":1}]},"b":1}',
    );
  });
});

describe("audit log", () => {
  it("an empty log verifies", async () => {
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 0 });
  });

  it("appends a chain that verifies, across two municipalities' chains, with progress", async () => {
    for (let n = 1; n <= 6; n++) await append(entry(n, n % 2 ? "131075" : "131067"));
    await append({ lgCode: "131075", actor: { system: "relay" }, action: "message.received" });
    const progress: number[] = [];
    let heads: Map<string, { id: number; hash: string }> | undefined;
    const result = await verifyAuditChain(db, {
      batchSize: 3,
      onProgress: (n) => progress.push(n),
      onHeads: (h) => {
        heads = h;
      },
    });
    expect(result).toEqual({ ok: true, rows: 7 });
    expect(progress).toEqual([3, 6, 7]);
    expect([...heads!.keys()].sort()).toEqual(["131067", "131075"]);
    const first = (
      await sql<{
        prev_hash: Buffer;
        lg_code: string;
      }>`select prev_hash, lg_code from audit.log order by id`.execute(db)
    ).rows;
    // The first row of each chain links to the genesis (32 zero bytes).
    expect(first.filter((r) => r.prev_hash.equals(Buffer.alloc(32))).map((r) => r.lg_code)).toEqual([
      "131075",
      "131067",
    ]);
  });

  it("the back office's role cannot update, delete or truncate; the owner is stopped by the trigger", async () => {
    await expect(sql`update audit.log set purpose = 'x'`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`delete from audit.log`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`truncate audit.log`.execute(db)).rejects.toThrow(/permission denied/);
    await expect(sql`update audit.log set purpose = 'x'`.execute(admin)).rejects.toThrow(/追記専用/);
    await expect(sql`delete from audit.log`.execute(admin)).rejects.toThrow(/追記専用/);
    await expect(sql`truncate audit.log`.execute(admin)).rejects.toThrow(/追記専用/);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rows: 7 });
  });

  it("refuses to append outside a transaction or under a snapshot isolation", async () => {
    await expect(appendAudit(db as never, entry(99))).rejects.toThrow(/トランザクション/);
    await expect(
      db
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute((trx) => appendAudit(trx, entry(99))),
    ).rejects.toThrow(/read committed/);
    await expect(append({ ...entry(99), lgCode: "13107" })).rejects.toThrow(/6 桁/);
  });

  it("any JSON detail survives the round trip through jsonb with its hash intact (property)", async () => {
    // jsonb refuses U+0000 in strings; everything else JSON can express must verify.
    const noNul = (v: unknown) => !JSON.stringify(v).includes("\\u0000");
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()).filter(noNul), async (detail) => {
        await append({ ...entry(50), detail });
        const result = await verifyAuditChain(db);
        expect(result).toMatchObject({ ok: true });
      }),
      { numRuns: 40 },
    );
  });

  it("20 concurrent transactions keep a single valid chain (no fork)", async () => {
    const before = (await ids()).length;
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        db.transaction().execute(async (trx) => {
          // Stagger: some transactions start their work before others but append later.
          await sql`select pg_sleep(${(n % 5) * 0.01})`.execute(trx);
          await appendAudit(trx, entry(100 + n));
          await sql`select pg_sleep(${((n * 7) % 5) * 0.01})`.execute(trx);
        }),
      ),
    );
    const result = await verifyAuditChain(db);
    expect(result).toEqual({ ok: true, rows: before + 20 });
    const prevs = (
      await sql<{
        prev: string;
      }>`select encode(prev_hash, 'hex') as prev from audit.log where lg_code = '131075'`.execute(db)
    ).rows.map((r) => r.prev);
    expect(new Set(prevs).size).toBe(prevs.length);
  });

  it("a rolled-back append leaves the chain intact (a gap in ids is not a break)", async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, entry(200));
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    await append(entry(201));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it("names the first tampered row (content changed)", async () => {
    const all = await ids();
    const victim = all[4]!;
    await tamper(sql`update audit.log set purpose = '別の目的' where id = ${victim}`);
    const result = await verifyAuditChain(db, { batchSize: 2 });
    expect(result).toMatchObject({ ok: false, firstBrokenId: victim, rows: 5 });
    expect((result as { reason: string }).reason).toMatch(/改ざん/);
    // Tampering with a later row as well still names the first one.
    await tamper(sql`update audit.log set detail = '{"n":0}'::jsonb where id = ${all[9]!}`);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBrokenId: victim });
  });

  it("names the row after a deleted one, and a forged hash does not help", async () => {
    await t.drop();
    // A fresh database for a clean chain.
    t = await createTestDatabase();
    await db.destroy();
    await admin.destroy();
    admin = createDb<BackofficeDatabase>(t.adminUrl, { max: 2 });
    db = backofficeDb(t);
    for (let n = 1; n <= 5; n++) await append(entry(n));
    const all = await ids();
    await tamper(sql`delete from audit.log where id = ${all[2]!}`);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBrokenId: all[3], rows: 3 });
    expect(((await verifyAuditChain(db)) as { reason: string }).reason).toMatch(/つながっていません/);

    // A forger who rewrites the first row and recomputes its hash breaks the link to the next one.
    const row = (
      await sql<{ at: string; detail: unknown; prev_hash: Buffer }>`
        select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, detail, prev_hash
        from audit.log where id = ${all[0]!}`.execute(db)
    ).rows[0]!;
    const e = entry(1);
    const forged = rowHash({
      id: all[0]!,
      lgCode: e.lgCode,
      at: row.at,
      actor: "sumida-clerk",
      role: "clerk",
      action: e.action,
      subject: e.subjectResidentId!,
      purpose: "偽の目的",
      detail: row.detail,
      prevHash: row.prev_hash,
    });
    await tamper(sql`update audit.log set purpose = '偽の目的', hash = ${forged} where id = ${all[0]!}`);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBrokenId: all[1], rows: 2 });
  });
});

describe("views written unlinked, linked into the chain later (decision 010)", () => {
  let u: TestDatabase;
  let udb: Kysely<BackofficeDatabase>;
  let uadmin: Kysely<BackofficeDatabase>;
  beforeAll(async () => {
    u = await createTestDatabase();
    udb = backofficeDb(u);
    uadmin = createDb<BackofficeDatabase>(u.adminUrl, { max: 2 });
  });
  afterAll(async () => {
    await udb.destroy();
    await uadmin.destroy();
    await u.drop();
  });

  const view = (n: number, lgCode = "131075"): AuditEntry => ({
    ...entry(n, lgCode),
    action: "search.residentCode",
  });
  const unlinked = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from audit.log where hash is null`.execute(udb))
      .rows[0]!.n;

  it("a view row commits on its own, unlinked; verify counts it without checking it; linking chains it in id order", async () => {
    await appendViewAudit(udb, view(1));
    await udb.transaction().execute((trx) => appendViewAudit(trx, view(2, "131067")));
    await appendViewAudit(udb, view(3));
    expect(await unlinked()).toBe(3);
    let pending = -1;
    expect(await verifyAuditChain(udb, { onUnlinked: (n) => (pending = n) })).toEqual({ ok: true, rows: 0 });
    expect(pending).toBe(3);

    expect(await linkPendingAudit(udb)).toBe(3);
    expect(await unlinked()).toBe(0);
    expect(await verifyAuditChain(udb, { onUnlinked: (n) => (pending = n) })).toEqual({ ok: true, rows: 3 });
    expect(pending).toBe(0);
    // Within a chain, linked in id order; positions come after every id taken before the link.
    const rows = (
      await sql<{ id: number; link_seq: number; lg_code: string }>`
        select id, link_seq, lg_code from audit.log where lg_code = '131075' order by link_seq`.execute(udb)
    ).rows;
    expect(rows.map((r) => Number(r.id))).toEqual([...rows.map((r) => Number(r.id))].sort((a, b) => a - b));
    expect(Math.min(...rows.map((r) => Number(r.link_seq)))).toBeGreaterThan(
      Math.max(...rows.map((r) => Number(r.id))),
    );
    expect(await linkPendingAudit(udb)).toBe(0);
  });

  it("appendAudit links the chain's unlinked rows before its own, so the chain stays one line", async () => {
    await appendViewAudit(udb, view(10));
    await appendViewAudit(udb, view(11, "131067"));
    await udb.transaction().execute((trx) => appendAudit(trx, entry(12)));
    // 131075's view was linked by the append; 131067's chain was not touched.
    const left = (
      await sql<{ lg_code: string }>`select lg_code from audit.log where hash is null`.execute(udb)
    ).rows.map((r) => r.lg_code);
    expect(left).toEqual(["131067"]);
    expect(await verifyAuditChain(udb)).toEqual({ ok: true, rows: 5 });
    await appendViewAudit(udb, view(13));
    await udb.transaction().execute((trx) => appendAudit(trx, entry(14)));
    await linkPendingAudit(udb);
    expect(await verifyAuditChain(udb)).toEqual({ ok: true, rows: 8 });
  });

  it("views and appends from many connections at once keep one valid chain per municipality", async () => {
    const before = (await verifyAuditChain(udb)) as { rows: number };
    await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        n % 3 === 0
          ? udb.transaction().execute((trx) => appendAudit(trx, entry(100 + n, n % 2 ? "131075" : "131067")))
          : appendViewAudit(udb, view(100 + n, n % 2 ? "131075" : "131067")),
      ),
    );
    await linkPendingAudit(udb);
    expect(await verifyAuditChain(udb)).toEqual({ ok: true, rows: before.rows + 30 });
  });

  it("an unlinked row cannot be rewritten: the role may only set the link columns, the trigger only from null", async () => {
    await appendViewAudit(udb, view(50));
    const id = Number(
      (await sql<{ id: number }>`select id from audit.log where hash is null`.execute(udb)).rows[0]!.id,
    );
    await expect(sql`update audit.log set purpose = 'x' where id = ${id}`.execute(udb)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql`delete from audit.log where id = ${id}`.execute(udb)).rejects.toThrow(
      /permission denied/,
    );
    // Setting the link columns is allowed only as a whole, from null (the owner is held to it too).
    await expect(
      sql`update audit.log set hash = ${Buffer.alloc(32, 1)} where id = ${id}`.execute(udb),
    ).rejects.toThrow(/追記専用|log_linked/);
    await expect(sql`update audit.log set purpose = 'x' where id = ${id}`.execute(uadmin)).rejects.toThrow(
      /追記専用/,
    );
    await linkPendingAudit(udb);
    // Once linked, relinking is refused like any other change.
    await expect(
      sql`update audit.log set hash = ${Buffer.alloc(32, 1)}, prev_hash = ${Buffer.alloc(32, 2)}, link_seq = 1 where id = ${id}`.execute(
        udb,
      ),
    ).rejects.toThrow(/追記専用/);
    expect(await verifyAuditChain(udb)).toMatchObject({ ok: true });
  });

  it("a linked view row that is tampered with is named by verify", async () => {
    const victim = Number(
      (
        await sql<{
          id: number;
        }>`select id from audit.log where link_seq is not null order by link_seq limit 1`.execute(udb)
      ).rows[0]!.id,
    );
    await uadmin.transaction().execute(async (trx) => {
      await sql`alter table audit.log disable trigger log_append_only`.execute(trx);
      await sql`update audit.log set subject = 'someone-else' where id = ${victim}`.execute(trx);
      await sql`alter table audit.log enable trigger log_append_only`.execute(trx);
    });
    expect(await verifyAuditChain(udb)).toMatchObject({ ok: false, firstBrokenId: victim });
  });
});

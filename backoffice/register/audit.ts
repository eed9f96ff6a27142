import { createHash } from "node:crypto";
import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";

/**
 * The audit log (監査ログ): append-only and hash-chained, one chain per municipality (lg_code),
 * so that the register can later be distributed by municipality without a global lock.
 *
 * Each row's hash is SHA-256 over a canonical serialisation of its fields and the previous
 * row's hash in the same municipality's chain (the first row links to 32 zero bytes). Appends
 * to one chain are serialised by a transaction-scoped advisory lock taken before the row's id,
 * time and predecessor are read, so two transactions can never link to the same predecessor
 * (no fork) and ids follow chain order. The lock is held until commit: append the audit row as
 * the last statement of a command to keep that window short.
 *
 * A chain detects a changed, removed, inserted or reordered row; it cannot detect that the
 * newest rows of a chain were cut off. `npm run audit:verify` prints each chain's head hash so
 * that an operator can record it elsewhere (anchoring) and notice a shortened chain.
 *
 * Views of personal data (look-ups, searches, records opened) are many and must be fast, so they
 * may be written unlinked (`appendViewAudit`, `viewAuditInsert`): one INSERT, committed with the
 * read (even in the same statement), taking no lock. The next holder of the chain's lock links
 * every committed unlinked row of its chain, in id order, before anything else: `appendAudit`
 * does, and `linkPendingAudit` does on its own (run it on a schedule, so that a quiet chain is
 * linked too). Chain order is `coalesce(link_seq, id)`; see docs/decisions/010-audited-lookups.md.
 */

export type AuditActor = { staffId: string; role: string } | { system: string };

export interface AuditEntry {
  lgCode: string;
  actor: AuditActor;
  /** Dotted verb, e.g. `record.view`, `myNumber.read`, `search.fourItems`, `command.moveIn`, `authorization.refused`. */
  action: string;
  subjectResidentId?: string | null;
  /** Why (利用目的 / 事務名), required by the caller for every view of personal data. */
  purpose?: string | null;
  /** Facts about the event. Identifiers and counts, not personal values (the log is kept forever). */
  detail?: Record<string, unknown>;
}

export class AuditError extends Error {
  override name = "AuditError";
}

const GENESIS = Buffer.alloc(32);
/** First key of the two-key advisory lock ("audi"); the second is the municipality code. */
const LOCK_CLASS = 0x61756469;
const SERIAL_VERSION = "v1";
const AT_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** JSON with object keys sorted at every level; the input is first reduced to plain JSON values. */
export function canonicalJson(value: unknown): string {
  const plain = value === undefined ? null : JSON.parse(JSON.stringify(value));
  return stringifySorted(plain);
}

function stringifySorted(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stringifySorted).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stringifySorted(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

interface HashedFields {
  id: number;
  lgCode: string;
  at: string;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  purpose: string | null;
  detail: unknown;
  prevHash: Buffer;
}

/** SHA-256 over the canonical serialisation: a JSON array, so no field can bleed into the next. */
export function rowHash(f: HashedFields): Buffer {
  const text = JSON.stringify([
    SERIAL_VERSION,
    String(f.id),
    f.lgCode,
    f.at,
    f.actor,
    f.role,
    f.action,
    f.subject,
    f.purpose,
    canonicalJson(f.detail ?? {}),
    f.prevHash.toString("hex"),
  ]);
  return createHash("sha256").update(text, "utf8").digest();
}

function actorColumns(actor: AuditActor): { actor: string; role: string } {
  if ("system" in actor) {
    if (!actor.system) throw new AuditError("監査ログ: system の名前が空です");
    return { actor: actor.system, role: "system" };
  }
  if (!actor.staffId || !actor.role) throw new AuditError("監査ログ: 職員 ID と役割が必要です");
  return { actor: actor.staffId, role: actor.role };
}

/**
 * Appends one row to the municipality's chain, inside the caller's transaction (it commits or
 * rolls back with the change it records). The transaction must be READ COMMITTED: under a
 * snapshot taken before the lock was granted, the predecessor read would be stale and fork the chain.
 */
export async function appendAudit(trx: Transaction<BackofficeDatabase>, entry: AuditEntry): Promise<void> {
  if (!trx.isTransaction)
    throw new AuditError("監査ログ: appendAudit はトランザクションの中で呼んでください");
  const { actor, role } = checkEntry(entry);

  const locked = await sql<{ iso: string }>`
    select pg_advisory_xact_lock(${LOCK_CLASS}::int, ${Number(entry.lgCode)}::int) is null as locked,
           current_setting('transaction_isolation') as iso`.execute(trx);
  const iso = locked.rows[0]?.iso;
  if (iso !== "read committed") {
    throw new AuditError(`監査ログ: 分離レベル ${iso} では追記できません（read committed が必要）`);
  }
  // A new statement, so a new snapshot: it sees the predecessor committed by whoever held the lock
  // before, and the unlinked rows committed so far, which are linked first (their link_seq must
  // come before this row's id).
  const readHead = () =>
    sql<{ id: number; at: string; prev: Buffer | null; unlinked: boolean }>`
    select nextval('audit.log_id_seq') as id,
           to_char(clock_timestamp() at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as at,
           (${chainHead(entry.lgCode)}) as prev,
           exists (select 1 from audit.log where lg_code = ${entry.lgCode} and hash is null) as unlinked`.execute(
      trx,
    );
  let h = (await readHead()).rows[0]!;
  if (h.unlinked) {
    await linkUnderLock(trx, entry.lgCode);
    h = (await readHead()).rows[0]!;
  }
  const fields: HashedFields = {
    id: Number(h.id),
    lgCode: entry.lgCode,
    at: h.at,
    actor,
    role,
    action: entry.action,
    subject: entry.subjectResidentId ?? null,
    purpose: entry.purpose ?? null,
    detail: entry.detail ?? {},
    prevHash: h.prev ?? GENESIS,
  };
  const hash = rowHash(fields);
  await sql`
    insert into audit.log (id, lg_code, at, actor, role, action, subject, purpose, detail, prev_hash, hash)
    values (${fields.id}, ${fields.lgCode}, ${fields.at}::timestamptz, ${actor}, ${role}, ${fields.action},
            ${fields.subject}, ${fields.purpose}, ${canonicalJson(fields.detail)}::jsonb, ${fields.prevHash}, ${hash})`.execute(
    trx,
  );
}

/** The newest linked row's hash of a chain (chain order, see the module comment). */
function chainHead(lgCode: string) {
  return sql<Buffer | null>`select hash from audit.log where lg_code = ${lgCode} and hash is not null
    order by coalesce(link_seq, id) desc limit 1`;
}

/** Links every committed unlinked row of a chain, in id order; the caller holds the chain's lock. */
async function linkUnderLock(trx: Transaction<BackofficeDatabase>, lgCode: string): Promise<number> {
  const pending = await sql<{
    id: number;
    at: string;
    actor: string;
    role: string;
    action: string;
    subject: string | null;
    purpose: string | null;
    detail: unknown;
  }>`
    select id, to_char(at at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as at, actor, role, action, subject, purpose, detail
    from audit.log where lg_code = ${lgCode} and hash is null order by id for update`.execute(trx);
  if (pending.rows.length === 0) return 0;
  const head = await sql<{ prev: Buffer | null; seqs: string[] }>`
    select (${chainHead(lgCode)}) as prev,
           array(select nextval('audit.log_id_seq') from generate_series(1, ${pending.rows.length}::int)) as seqs`.execute(
    trx,
  );
  const seqs = head.rows[0]!.seqs.map(Number).sort((a, b) => a - b);
  let prev = head.rows[0]!.prev ?? GENESIS;
  const ids: string[] = [];
  const prevs: string[] = [];
  const hashes: string[] = [];
  for (const r of pending.rows) {
    const hash = rowHash({
      id: Number(r.id),
      lgCode,
      at: r.at,
      actor: r.actor,
      role: r.role,
      action: r.action,
      subject: r.subject,
      purpose: r.purpose,
      detail: r.detail,
      prevHash: prev,
    });
    ids.push(String(r.id));
    prevs.push(prev.toString("hex"));
    hashes.push(hash.toString("hex"));
    prev = hash;
  }
  await sql`
    update audit.log a set prev_hash = decode(v.prev, 'hex'), hash = decode(v.hash, 'hex'), link_seq = v.seq
    from unnest(${ids}::bigint[], ${prevs}::text[], ${hashes}::text[], ${seqs.map(String)}::bigint[])
      as v(id, prev, hash, seq)
    where a.id = v.id and a.hash is null`.execute(trx);
  return pending.rows.length;
}

/**
 * Links the unlinked rows (views written by appendViewAudit) into their chains, one transaction
 * per chain; every municipality's chain when `lgCode` is not given. Returns the rows linked.
 * appendAudit links its chain anyway; this is for a schedule (and for readers of the log).
 */
export async function linkPendingAudit(db: Kysely<BackofficeDatabase>, lgCode?: string): Promise<number> {
  const chains = lgCode
    ? [lgCode]
    : (
        await sql<{ lg_code: string }>`
          select distinct lg_code from audit.log where hash is null`.execute(db)
      ).rows.map((r) => r.lg_code);
  let linked = 0;
  for (const lg of chains) {
    const run = async (trx: Transaction<BackofficeDatabase>) => {
      await sql`select pg_advisory_xact_lock(${LOCK_CLASS}::int, ${Number(lg)}::int)`.execute(trx);
      return linkUnderLock(trx, lg);
    };
    linked += db.isTransaction
      ? await run(db as Transaction<BackofficeDatabase>)
      : await db.transaction().execute(run);
  }
  return linked;
}

function checkEntry(entry: AuditEntry): { actor: string; role: string } {
  if (!/^\d{6}$/.test(entry.lgCode)) throw new AuditError("監査ログ: 地方公共団体コードは 6 桁の数字です");
  if (!entry.action) throw new AuditError("監査ログ: action が空です");
  return actorColumns(entry.actor);
}

/**
 * The INSERT of an unlinked view row, as SQL to run alone or inside a statement (a CTE beside the
 * read it records, so that the read and its row commit together in one round trip). `subject`
 * may be an SQL expression (e.g. the id the same statement found), `detail` an SQL jsonb
 * expression; otherwise the entry's values are used.
 */
export function viewAuditInsert(
  entry: AuditEntry,
  sqlParts: { subject?: RawBuilder<unknown>; detail?: RawBuilder<unknown> } = {},
): RawBuilder<unknown> {
  const { actor, role } = checkEntry(entry);
  const subject = sqlParts.subject ?? sql`${entry.subjectResidentId ?? null}::text`;
  const detail = sqlParts.detail ?? sql`${canonicalJson(entry.detail ?? {})}::jsonb`;
  return sql`insert into audit.log (id, lg_code, at, actor, role, action, subject, purpose, detail)
    select nextval('audit.log_id_seq'), ${entry.lgCode}, clock_timestamp(), ${actor}, ${role},
           ${entry.action}, ${subject}, ${entry.purpose ?? null}, ${detail}`;
}

/**
 * Appends an unlinked row (a view of personal data): one INSERT, no lock, in the caller's
 * transaction or committed on its own. Linked into the chain later (see the module comment).
 */
export async function appendViewAudit(
  db: Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>,
  entry: AuditEntry,
): Promise<void> {
  await viewAuditInsert(entry).execute(db);
}

export type AuditVerifyResult =
  | { ok: true; rows: number }
  | { ok: false; firstBrokenId: number; rows: number; reason: string };

export interface VerifyOptions {
  /** Rows read per query (keyset pagination by chain position). */
  batchSize?: number;
  /** Called after every batch with the rows checked so far. */
  onProgress?: (rowsChecked: number, lastId: number) => void;
  /** Receives each chain's head (lg_code → hash of its newest row) when the walk succeeds. */
  onHeads?: (heads: Map<string, { id: number; hash: string }>) => void;
  /**
   * Receives, after the walk, the rows not linked yet (views awaiting the next link; not part of
   * any chain, so not checked) and the time of the oldest, or null when there are none.
   */
  onUnlinked?: (count: number, oldestAt: string | null) => void;
}

/**
 * Walks every chain in chain order (`coalesce(link_seq, id)`; for rows appended linked, id order)
 * and returns the first row whose hash does not match its content or whose prev_hash does not
 * match its predecessor's hash. `rows` counts the rows checked
 * (on failure, up to and including the broken row).
 */
export async function verifyAuditChain(
  db: Kysely<BackofficeDatabase>,
  opts: VerifyOptions = {},
): Promise<AuditVerifyResult> {
  const batchSize = opts.batchSize ?? 5_000;
  const heads = new Map<string, { id: number; hash: Buffer }>();
  let lastId = 0;
  let lastPosition = 0;
  let rows = 0;
  for (;;) {
    const batch = await sql<{
      id: number;
      lg_code: string;
      at: string;
      actor: string;
      role: string;
      action: string;
      subject: string | null;
      purpose: string | null;
      detail: unknown;
      prev_hash: Buffer;
      hash: Buffer;
      position: number;
    }>`
      select id, coalesce(link_seq, id) as position, lg_code, to_char(at at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as at,
             actor, role, action, subject, purpose, detail, prev_hash, hash
      from audit.log where hash is not null and coalesce(link_seq, id) > ${lastPosition}
      order by coalesce(link_seq, id) limit ${batchSize}`.execute(db);
    for (const r of batch.rows) {
      rows++;
      const id = Number(r.id);
      const expectedPrev = heads.get(r.lg_code)?.hash ?? GENESIS;
      if (!r.prev_hash.equals(expectedPrev)) {
        return {
          ok: false,
          firstBrokenId: id,
          rows,
          reason: `前の行とつながっていません（行の削除・挿入・並べ替え） / prev_hash does not match the previous row of chain ${r.lg_code}`,
        };
      }
      const computed = rowHash({
        id,
        lgCode: r.lg_code,
        at: r.at,
        actor: r.actor,
        role: r.role,
        action: r.action,
        subject: r.subject,
        purpose: r.purpose,
        detail: r.detail,
        prevHash: r.prev_hash,
      });
      if (!computed.equals(r.hash)) {
        return {
          ok: false,
          firstBrokenId: id,
          rows,
          reason: "行の内容が hash と一致しません（改ざん） / the row's content does not match its hash",
        };
      }
      heads.set(r.lg_code, { id, hash: r.hash });
      lastId = id;
      lastPosition = Number(r.position);
    }
    opts.onProgress?.(rows, lastId);
    if (batch.rows.length < batchSize) break;
  }
  opts.onHeads?.(new Map([...heads].map(([lg, h]) => [lg, { id: h.id, hash: h.hash.toString("hex") }])));
  if (opts.onUnlinked) {
    const u = await sql<{ n: number; oldest: string | null }>`
      select count(*)::int as n, to_char(min(at) at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as oldest
      from audit.log where hash is null`.execute(db);
    opts.onUnlinked(u.rows[0]!.n, u.rows[0]!.oldest);
  }
  return { ok: true, rows };
}

import { createHash } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
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
  if (!/^\d{6}$/.test(entry.lgCode)) throw new AuditError("監査ログ: 地方公共団体コードは 6 桁の数字です");
  if (!entry.action) throw new AuditError("監査ログ: action が空です");
  const { actor, role } = actorColumns(entry.actor);

  const locked = await sql<{ iso: string }>`
    select pg_advisory_xact_lock(${LOCK_CLASS}::int, ${Number(entry.lgCode)}::int) is null as locked,
           current_setting('transaction_isolation') as iso`.execute(trx);
  const iso = locked.rows[0]?.iso;
  if (iso !== "read committed") {
    throw new AuditError(`監査ログ: 分離レベル ${iso} では追記できません（read committed が必要）`);
  }
  // A new statement, so a new snapshot: it sees the predecessor committed by whoever held the lock before.
  const head = await sql<{ id: number; at: string; prev: Buffer | null }>`
    select nextval('audit.log_id_seq') as id,
           to_char(clock_timestamp() at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as at,
           (select hash from audit.log where lg_code = ${entry.lgCode} order by id desc limit 1) as prev`.execute(
    trx,
  );
  const h = head.rows[0]!;
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

export type AuditVerifyResult =
  | { ok: true; rows: number }
  | { ok: false; firstBrokenId: number; rows: number; reason: string };

export interface VerifyOptions {
  /** Rows read per query (keyset pagination by id). */
  batchSize?: number;
  /** Called after every batch with the rows checked so far. */
  onProgress?: (rowsChecked: number, lastId: number) => void;
  /** Receives each chain's head (lg_code → hash of its newest row) when the walk succeeds. */
  onHeads?: (heads: Map<string, { id: number; hash: string }>) => void;
}

/**
 * Walks every chain in id order and returns the first row whose hash does not match its content
 * or whose prev_hash does not match its predecessor's hash. `rows` counts the rows checked
 * (on failure, up to and including the broken row).
 */
export async function verifyAuditChain(
  db: Kysely<BackofficeDatabase>,
  opts: VerifyOptions = {},
): Promise<AuditVerifyResult> {
  const batchSize = opts.batchSize ?? 5_000;
  const heads = new Map<string, { id: number; hash: Buffer }>();
  let lastId = 0;
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
    }>`
      select id, lg_code, to_char(at at time zone 'UTC', ${sql.raw(AT_FORMAT)}) as at, actor, role, action,
             subject, purpose, detail, prev_hash, hash
      from audit.log where id > ${lastId} order by id limit ${batchSize}`.execute(db);
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
    }
    opts.onProgress?.(rows, lastId);
    if (batch.rows.length < batchSize) break;
  }
  opts.onHeads?.(new Map([...heads].map(([lg, h]) => [lg, { id: h.id, hash: h.hash.toString("hex") }])));
  return { ok: true, rows };
}

import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { appendAudit, linkPendingAudit } from "./audit.js";
import { type Actor, authorize, authorizeOrAudit } from "./authorization.js";

/**
 * The audit log as an auditor reads it (監査ログの閲覧): one municipality's rows, newest first,
 * filtered by whose record, which staff member, which action or a time range, paginated by id
 * (keyset). Authorized as `viewAudit` (auditors only) and itself audited (`audit.view`): who
 * looked at the log is in the log.
 */

export class AuditQueryError extends Error {
  override name = "AuditQueryError";
}

export interface AuditQuery {
  lgCode: string;
  actor: Actor;
  /** Why the log is read (e.g. 定期監査, 本人からの開示請求). */
  purpose: string;
  subjectResidentId?: string;
  staffId?: string;
  /** Exact action, or a prefix ending with a dot (`myNumber.`). */
  action?: string;
  /** ISO timestamps, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  /** Rows older than this id (the previous page's last id). */
  beforeId?: number;
  /** 1–500, default 100. */
  limit?: number;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  subjectResidentId: string | null;
  purpose: string | null;
  detail: Record<string, unknown>;
  /** Null for a view committed after this page was linked (it joins the chain at the next link). */
  hash: string | null;
}

export interface AuditPage {
  rows: AuditRow[];
  /** Pass as beforeId for the next (older) page; null on the last page. */
  nextBeforeId: number | null;
}

type Db = Kysely<BackofficeDatabase>;

export async function listAuditLog(db: Db, q: AuditQuery): Promise<AuditPage> {
  if (!q.purpose?.trim()) throw new AuditQueryError("監査ログを閲覧する目的（purpose）を指定してください");
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new AuditQueryError("件数は 1〜500 で指定してください");
  for (const [name, value] of [
    ["from", q.from],
    ["to", q.to],
  ] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      throw new AuditQueryError(`${name} は ISO 8601 の日時で指定してください`);
    }
  }
  const run = async (trx: Transaction<BackofficeDatabase>, role: string) => {
    // Views are written unlinked (audit.ts); link them first, so that the page shows them chained.
    await linkPendingAudit(trx, q.lgCode);
    const where = [sql`lg_code = ${q.lgCode}`];
    if (q.subjectResidentId) where.push(sql`subject = ${q.subjectResidentId}`);
    if (q.staffId) where.push(sql`actor = ${q.staffId} and role <> 'system'`);
    if (q.action) {
      where.push(q.action.endsWith(".") ? sql`starts_with(action, ${q.action})` : sql`action = ${q.action}`);
    }
    if (q.from) where.push(sql`at >= ${q.from}::timestamptz`);
    if (q.to) where.push(sql`at < ${q.to}::timestamptz`);
    if (q.beforeId !== undefined) where.push(sql`id < ${q.beforeId}`);
    const found = await sql<{
      id: number;
      at: Date;
      actor: string;
      role: string;
      action: string;
      subject: string | null;
      purpose: string | null;
      detail: Record<string, unknown>;
      hash: Buffer | null;
    }>`
      select id, at, actor, role, action, subject, purpose, detail, hash from audit.log
      where ${sql.join(where, sql` and `)} order by id desc limit ${limit + 1}`.execute(trx);
    const more = found.rows.length > limit;
    const rows = found.rows.slice(0, limit).map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      role: r.role,
      action: r.action,
      subjectResidentId: r.subject,
      purpose: r.purpose,
      detail: r.detail,
      hash: r.hash ? r.hash.toString("hex") : null,
    }));
    await appendAudit(trx, {
      lgCode: q.lgCode,
      actor: { staffId: q.actor.staffId, role },
      action: "audit.view",
      subjectResidentId: q.subjectResidentId ?? null,
      purpose: q.purpose,
      detail: {
        filters: Object.keys(q).filter((k) => !["lgCode", "actor", "purpose", "limit"].includes(k)),
        returned: rows.length,
      },
    });
    return { rows, nextBeforeId: more ? rows.at(-1)!.id : null };
  };
  if (db.isTransaction)
    return run(db as Transaction<BackofficeDatabase>, authorize(q.actor, "viewAudit", q.lgCode));
  const role = await authorizeOrAudit(db, q.actor, "viewAudit", q.lgCode);
  return db.transaction().execute((trx) => run(trx, role));
}

/**
 * SQL of the counter forms: their approval requests (counter.change_request), and read-only
 * looks at the register's request keys and approvals that the forms need to answer a repeated
 * submit with the first result.
 */
import { type Kysely, sql } from "kysely";
import type { BackofficeDatabase } from "../../../db/types/backoffice.js";

type Db = Kysely<BackofficeDatabase>;

export interface CounterRequestRow {
  requestKey: string;
  lgCode: string;
  command: string;
  requestedBy: string;
  approvalId: string | null;
  summaryCipher: Buffer | null;
}

function toRow(r: {
  request_key: string;
  lg_code: string;
  command: string;
  requested_by: string;
  approval_id: string | null;
  summary_cipher: Buffer | null;
}): CounterRequestRow {
  return {
    requestKey: r.request_key,
    lgCode: r.lg_code,
    command: r.command,
    requestedBy: r.requested_by,
    approvalId: r.approval_id,
    summaryCipher: r.summary_cipher,
  };
}

/** Claims a request key; false when it is already taken (by an earlier or concurrent submit). */
export async function claimCounterRequest(
  db: Db,
  row: { requestKey: string; lgCode: string; command: string; requestedBy: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto("counter.change_request")
    .values({
      request_key: row.requestKey,
      lg_code: row.lgCode,
      command: row.command,
      requested_by: row.requestedBy,
    })
    .onConflict((oc) => oc.column("request_key").doNothing())
    .returning("request_key")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function getCounterRequest(db: Db, requestKey: string): Promise<CounterRequestRow | undefined> {
  const r = await db
    .selectFrom("counter.change_request")
    .selectAll()
    .where("request_key", "=", requestKey)
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

export async function getCounterRequestByApproval(
  db: Db,
  approvalId: string,
): Promise<CounterRequestRow | undefined> {
  const r = await db
    .selectFrom("counter.change_request")
    .selectAll()
    .where("approval_id", "=", approvalId)
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

export async function completeCounterRequest(
  db: Db,
  requestKey: string,
  approvalId: string,
  summaryCipher: Buffer,
): Promise<void> {
  await db
    .updateTable("counter.change_request")
    .set({ approval_id: approvalId, summary_cipher: summaryCipher })
    .where("request_key", "=", requestKey)
    .execute();
}

/** Gives a claimed key back after a refused request (the form can be corrected and sent again). */
export async function releaseCounterRequest(db: Db, requestKey: string): Promise<void> {
  await db
    .deleteFrom("counter.change_request")
    .where("request_key", "=", requestKey)
    .where("approval_id", "is", null)
    .execute();
}

/** Erases the approver's summary once the request is decided. */
export async function eraseSummary(db: Db, approvalId: string): Promise<void> {
  await db
    .updateTable("counter.change_request")
    .set({ summary_cipher: null })
    .where("approval_id", "=", approvalId)
    .execute();
}

/** What the register stored under a request key (null result: none, or still running). */
export async function storedCommandRequest(
  db: Db,
  requestKey: string,
): Promise<{ command: string; lgCode: string; result: unknown } | undefined> {
  const r = await db
    .selectFrom("register.command_request")
    .select(["command", "lg_code", "result"])
    .where("request_key", "=", requestKey)
    .executeTakeFirst();
  return r ? { command: r.command, lgCode: r.lg_code, result: r.result } : undefined;
}

export interface ApprovalInfo {
  id: string;
  lgCode: string;
  command: string;
  status: "pending" | "approved" | "rejected" | "consumed";
  requestedBy: string;
  requestedAt: Date;
  approvedBy: string | null;
  rejectedBy: string | null;
}

/** One approval request as the queue shows it (never its payload). */
export async function getApprovalInfo(db: Db, approvalId: string): Promise<ApprovalInfo | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(approvalId)) return undefined;
  const r = (
    await sql<{
      id: string;
      lg_code: string;
      command: string;
      status: ApprovalInfo["status"];
      requested_by: string;
      requested_at: Date;
      approved_by: string | null;
      rejected_by: string | null;
    }>`
      select id, lg_code, command, status, requested_by, requested_at, approved_by, rejected_by
      from register.approval where id = ${approvalId}`.execute(db)
  ).rows[0];
  return r
    ? {
        id: r.id,
        lgCode: r.lg_code,
        command: r.command,
        status: r.status,
        requestedBy: r.requested_by,
        requestedAt: r.requested_at,
        approvedBy: r.approved_by,
        rejectedBy: r.rejected_by,
      }
    : undefined;
}

/** Requests filed by one staff member, newest first (their own 申請一覧). */
export async function approvalsRequestedBy(
  db: Db,
  args: { lgCode: string; staffId: string; limit?: number },
): Promise<ApprovalInfo[]> {
  const rows = await sql<{
    id: string;
    lg_code: string;
    command: string;
    status: ApprovalInfo["status"];
    requested_by: string;
    requested_at: Date;
    approved_by: string | null;
    rejected_by: string | null;
  }>`
    select id, lg_code, command, status, requested_by, requested_at, approved_by, rejected_by
    from register.approval where lg_code = ${args.lgCode} and requested_by = ${args.staffId}
    order by requested_at desc limit ${args.limit ?? 20}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    lgCode: r.lg_code,
    command: r.command,
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    approvedBy: r.approved_by,
    rejectedBy: r.rejected_by,
  }));
}

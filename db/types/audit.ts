import type { ColumnType } from "kysely";

/**
 * audit.log and register.approval (migration 2026-11-26T0501_audit-and-approval). Views of records
 * may be written unlinked (prev_hash, hash and link_seq null) and linked later, once
 * (migration 2026-11-26T0650_register-performance).
 */

export interface AuditLogTable {
  id: number;
  lg_code: string;
  at: ColumnType<Date, string, never>;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  purpose: string | null;
  detail: ColumnType<Record<string, unknown>, string, never>;
  prev_hash: ColumnType<Buffer | null, Buffer | null | undefined, Buffer>;
  hash: ColumnType<Buffer | null, Buffer | null | undefined, Buffer>;
  /** Chain position of a row linked after it was written; chain order is coalesce(link_seq, id). */
  link_seq: ColumnType<number | null, never, number>;
}

export interface ApprovalTable {
  id: ColumnType<string, string | undefined, never>;
  lg_code: string;
  command: string;
  payload: ColumnType<unknown, string | null, string | null>;
  payload_cipher: Buffer | null;
  requested_by: string;
  requested_role: string;
  requested_at: ColumnType<Date, string | undefined, never>;
  approved_by: string | null;
  approved_role: string | null;
  approved_at: ColumnType<Date | null, string | null | undefined, string | null>;
  rejected_by: string | null;
  rejected_at: ColumnType<Date | null, string | null | undefined, string | null>;
  status: "pending" | "approved" | "rejected" | "consumed";
  consumed_at: ColumnType<Date | null, string | null | undefined, string | null>;
}

import { sql } from "kysely";
import type { StaffSession } from "../auth/session.server.js";
import { appendAudit, verifyAuditChain } from "../register/audit.js";
import { type AuditPage, AuditQueryError, listAuditLog } from "../register/audit.queries.js";
import { authorizeOrAudit, ForbiddenError } from "../register/authorization.js";
import type { BackofficeServices } from "../services.server.js";

/**
 * The audit viewer (監査ログの閲覧) for auditors: the register's listAuditLog (authorized as
 * viewAudit, itself audited) and chain verification (verifyAuditChain, as `npm run audit:verify`).
 */

import { AUDIT_PURPOSES, type AuditPurpose } from "./audit-purposes.js";

export { AUDIT_PURPOSES, type AuditPurpose, isAuditPurpose } from "./audit-purposes.js";

export interface AuditFilters {
  staffId?: string;
  residentId?: string;
  action?: string;
  beforeId?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads filters from the query string; returns the field errors for bad ones. */
export function parseAuditFilters(params: URLSearchParams): {
  filters: AuditFilters;
  errors: Record<string, string>;
} {
  const filters: AuditFilters = {};
  const errors: Record<string, string> = {};
  const staffId = params.get("staffId")?.trim();
  if (staffId) {
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(staffId)) filters.staffId = staffId;
    else errors.staffId = "職員IDは英数字で入力してください";
  }
  const residentId = params.get("residentId")?.trim();
  if (residentId) {
    if (UUID.test(residentId)) filters.residentId = residentId.toLowerCase();
    else errors.residentId = "住民IDは 8-4-4-4-12 桁の形式（UUID）で入力してください";
  }
  const action = params.get("action")?.trim();
  if (action) {
    if (/^[A-Za-z.]{1,64}$/.test(action)) filters.action = action;
    else errors.action = "種類は英字とドットで入力してください（例: record.view、command.）";
  }
  const before = params.get("before");
  if (before && /^\d{1,15}$/.test(before)) filters.beforeId = Number(before);
  return { filters, errors };
}

function actorOf(staff: StaffSession) {
  return { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] };
}

export async function readAuditLog(
  office: BackofficeServices,
  staff: StaffSession,
  purpose: AuditPurpose,
  filters: AuditFilters,
): Promise<AuditPage> {
  return listAuditLog(office.db, {
    lgCode: staff.lgCode,
    actor: actorOf(staff),
    purpose: AUDIT_PURPOSES[purpose],
    ...(filters.staffId ? { staffId: filters.staffId } : {}),
    ...(filters.residentId ? { subjectResidentId: filters.residentId } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.beforeId !== undefined ? { beforeId: filters.beforeId } : {}),
    limit: 100,
  });
}

export type VerifyOutcome =
  | { ok: true; rows: number; unlinked: number }
  | { ok: false; rows: number; firstBrokenId: number; reason: string; ownChain: boolean };

/**
 * Walks every chain of audit.log (as `npm run audit:verify`) and names the first broken row. A
 * broken row of another municipality's chain is reported without its reason (its rows are not
 * this auditor's to read). The verification is itself audited (`audit.verify`).
 */
export async function verifyAudit(office: BackofficeServices, staff: StaffSession): Promise<VerifyOutcome> {
  const role = await authorizeOrAudit(office.db, actorOf(staff), "viewAudit", staff.lgCode);
  let unlinked = 0;
  const result = await verifyAuditChain(office.db, {
    onUnlinked: (count) => {
      unlinked = count;
    },
  });
  let outcome: VerifyOutcome;
  if (result.ok) outcome = { ok: true, rows: result.rows, unlinked };
  else {
    const row = await sql<{
      lg_code: string;
    }>`select lg_code from audit.log where id = ${result.firstBrokenId}`.execute(office.db);
    const ownChain = row.rows[0]?.lg_code === staff.lgCode;
    outcome = {
      ok: false,
      rows: result.rows,
      firstBrokenId: result.firstBrokenId,
      reason: ownChain ? result.reason : "",
      ownChain,
    };
  }
  await office.db.transaction().execute((trx) =>
    appendAudit(trx, {
      lgCode: staff.lgCode,
      actor: { staffId: staff.staffId, role },
      action: "audit.verify",
      purpose: "監査ログの改ざん検査",
      detail: outcome.ok
        ? { ok: true, rows: outcome.rows }
        : { ok: false, rows: outcome.rows, firstBrokenId: outcome.firstBrokenId, ownChain: outcome.ownChain },
    }),
  );
  return outcome;
}

export { AuditQueryError, ForbiddenError };

import type { StaffSession } from "../auth/session.server.js";
import { commandContext } from "../auth/session.server.js";
import { type Actor, ForbiddenError } from "../register/authorization.js";
import { type HistoryEntry, replay } from "../register/history.js";
import { changeKindLabel, removalReasonLabel, stateLabel } from "../register/lifecycle.js";
import { activeSupportMeasure, loadHistory, toHistoryEntries } from "../register/records.queries.js";
import {
  findByMyNumber,
  findByResidentCode,
  type ResidentHit,
  type ResidentView,
  SearchError,
  searchResidents,
  viewResident,
} from "../register/search.queries.js";
import type { BackofficeServices } from "../services.server.js";
import { PURPOSES, type PurposeCode, type RecordSearch } from "./record-search.schema.js";

/**
 * 住民検索 and the record view (住民票の閲覧) for the counter: thin wrappers over the register's
 * search functions (authorized as viewRecord, audited with the purpose) that turn refusals
 * into what a page shows.
 */

function staffActor(staff: StaffSession): Actor {
  return { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] };
}

export type SearchOutcome =
  | { kind: "hits"; hits: ResidentHit[]; total: number }
  | { kind: "error"; field: string; message: string };

export async function searchRecords(
  office: BackofficeServices,
  staff: StaffSession,
  input: RecordSearch,
): Promise<SearchOutcome> {
  const actor = staffActor(staff);
  const common = {
    lgCode: staff.lgCode,
    actor,
    purpose: PURPOSES[input.purpose],
    includeRemoved: Boolean(input.includeRemoved),
  };
  try {
    if (input.mode === "residentCode") {
      const hit = await findByResidentCode(office.db, { ...common, residentCode: input.residentCode ?? "" });
      return { kind: "hits", hits: hit ? [hit] : [], total: hit ? 1 : 0 };
    }
    if (input.mode === "myNumber") {
      const hit = await findByMyNumber(office.db, { ...common, myNumber: input.myNumber ?? "" }, office.keys);
      return { kind: "hits", hits: hit ? [hit] : [], total: hit ? 1 : 0 };
    }
    const page = await searchResidents(office.db, {
      ...common,
      ...(input.name ? { name: input.name } : {}),
      ...(input.birthDate ? { birthDate: input.birthDate } : {}),
      ...(input.sex ? { sex: input.sex } : {}),
      ...(input.address ? { address: input.address } : {}),
      limit: 50,
    });
    return { kind: "hits", hits: page.rows, total: page.total };
  } catch (err) {
    if (err instanceof SearchError) {
      const field =
        input.mode === "residentCode" ? "residentCode" : input.mode === "myNumber" ? "myNumber" : "name";
      return { kind: "error", field, message: err.message };
    }
    throw err;
  }
}

export interface HistoryLine {
  id: string;
  seq: number;
  kind: string;
  kindLabel: string;
  effectiveDate: string;
  notifiedOn: string | null;
  processedAt: string;
  by: string;
  late: boolean;
  reason: string | null;
  approvedBy: string | null;
  cancels: string | null;
  fields: { field: string; before: string; after: string }[];
}

export interface RecordPage {
  record: Omit<ResidentView, "myNumber">;
  statusLabel: string;
  removalReasonLabel: string | null;
  supportMeasure: { since: string; until: string | null; extendedUntil: string | null } | null;
  history: HistoryLine[];
  /** The record equals the fold of its history (history.ts replay). */
  historyConsistent: boolean;
}

const HIDDEN_FIELDS = new Set([
  "myNumberCipher",
  "myNumberIndex",
  "lgCode",
  "town",
  "chome",
  "block",
  "lot",
  "building",
  "retainUntil",
]);

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function historyLine(r: Awaited<ReturnType<typeof loadHistory>>[number]): HistoryLine {
  const keys = [...new Set([...Object.keys(r.before), ...Object.keys(r.after)])].filter(
    (k) => !HIDDEN_FIELDS.has(k),
  );
  const before = r.before as Record<string, unknown>;
  const after = r.after as Record<string, unknown>;
  const touchedNumber = "myNumberCipher" in r.after || "myNumberCipher" in r.before;
  return {
    id: r.id,
    seq: r.seq,
    kind: r.kind,
    kindLabel: changeKindLabel[r.kind] ?? r.kind,
    effectiveDate: String(r.effectiveDate),
    notifiedOn: r.notifiedOn === null ? null : String(r.notifiedOn),
    processedAt: r.processedAt.toISOString(),
    by: r.staffId
      ? `${r.staffId}${r.staffRole ? `（${r.staffRole}）` : ""}`
      : `システム（${r.systemActor ?? "—"}）`,
    late: r.late,
    reason: r.reason,
    approvedBy: r.approvedBy,
    cancels: r.cancelsChangeId,
    fields: [
      ...keys.map((k) => ({ field: k, before: show(before[k]), after: show(after[k]) })),
      ...(touchedNumber
        ? [{ field: "myNumber", before: "（記録あり・表示しません）", after: "（記録あり・表示しません）" }]
        : []),
    ],
  };
}

/**
 * Opens a record with its full history and the support-measure banner: authorized as viewRecord
 * and audited (`record.view`, with the purpose) by viewResident; null when the record is not this
 * municipality's (or not there). A role refusal becomes ForbiddenError for the page to show.
 */
export async function openRecord(
  office: BackofficeServices,
  staff: StaffSession,
  residentId: string,
  purpose: PurposeCode,
): Promise<RecordPage | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(residentId)) return null;
  const ctx = commandContext(office, staff);
  const view = await viewResident(office.db, {
    lgCode: staff.lgCode,
    actor: staffActor(staff),
    purpose: PURPOSES[purpose],
    includeRemoved: true,
    residentId,
  });
  if (!view) return null;
  const rows = await loadHistory(office.db, residentId);
  let consistent = false;
  try {
    const replayed = replay(toHistoryEntries(rows) as HistoryEntry[]);
    consistent = replayed?.version === view.version;
  } catch {
    consistent = false;
  }
  const support = await activeSupportMeasure(office.db, residentId, ctx.today);
  const { myNumber: _never, ...record } = view;
  return {
    record,
    statusLabel: stateLabel[view.status] ?? view.status,
    removalReasonLabel: view.removalReason
      ? (removalReasonLabel[view.removalReason] ?? view.removalReason)
      : null,
    supportMeasure: support ?? null,
    history: rows.map(historyLine).reverse(),
    historyConsistent: consistent,
  };
}

export { ForbiddenError };

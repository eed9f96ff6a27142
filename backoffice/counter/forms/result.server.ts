/**
 * The result page of a counter change: what changed (the history rows the request wrote, with
 * before and after), the 届出期間経過 flag, and the records to open. Viewing it is a view of
 * those records: authorized as viewRecord and audited per record.
 */
import { appendAudit } from "../../register/audit.js";
import { authorizeOrAudit } from "../../register/authorization.js";
import { changeKindLabel, removalReasonLabel, stateLabel } from "../../register/lifecycle.js";
import type { Patch } from "../../register/record.js";
import { changesOfRequest } from "../../register/records.queries.js";
import type { StaffCommandContext } from "./submit.server.js";

export const FIELD_LABELS: Record<string, string> = {
  householdId: "世帯",
  relationship: "続柄",
  residentCode: "住民票コード",
  familyName: "氏",
  givenName: "名",
  familyKana: "氏のフリガナ",
  givenKana: "名のフリガナ",
  birthDate: "生年月日",
  sex: "性別",
  nationality: "国籍・地域",
  honseki: "本籍",
  honsekiHead: "筆頭者",
  foreigner: "外国人住民の項目",
  residentSince: "住民となった年月日",
  addressSince: "住所を定めた年月日",
  addressNotifiedOn: "住所を定めた旨の届出の年月日",
  previousAddress: "従前の住所",
  addressLine: "住所",
  moveOut: "転出先・転出予定",
  status: "状態",
  removalReason: "消除の事由",
  removedOn: "消除の年月日",
  qualifications: "資格等",
};

/** Parts of the address shown through addressLine; the sealed 個人番号 is shown as a fact only. */
const HIDDEN = new Set([
  "lgCode",
  "town",
  "chome",
  "block",
  "lot",
  "building",
  "retainUntil",
  "myNumberIndex",
]);

export interface ChangeLine {
  field: string;
  label: string;
  before: string;
  after: string;
}

export interface ResultChange {
  id: string;
  residentId: string;
  kind: string;
  kindLabel: string;
  effectiveDate: string;
  notifiedOn: string | null;
  late: boolean;
  reason: string | null;
  approvedBy: string | null;
  lines: ChangeLine[];
}

export interface ChangeResult {
  requestKey: string;
  late: boolean;
  changes: ResultChange[];
  residentIds: string[];
}

function show(field: string, v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "（なし）";
  if (field === "myNumberCipher") return "（記録あり）";
  if (field === "sex") return v === "male" ? "男" : v === "female" ? "女" : String(v);
  if (field === "status") return stateLabel[v as keyof typeof stateLabel] ?? String(v);
  if (field === "removalReason") return removalReasonLabel[v as keyof typeof removalReasonLabel] ?? String(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function lines(before: Patch, after: Patch): ChangeLine[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !HIDDEN.has(f));
  return fields.map((f) => ({
    field: f,
    label: f === "myNumberCipher" ? "個人番号" : (FIELD_LABELS[f] ?? f),
    before: show(f, (before as Record<string, unknown>)[f]),
    after: show(f, (after as Record<string, unknown>)[f]),
  }));
}

/** Null when the key wrote nothing in this municipality (unknown, or another municipality's). */
export async function loadChangeResult(
  ctx: StaffCommandContext,
  requestKey: string,
): Promise<ChangeResult | null> {
  await authorizeOrAudit(ctx.db, ctx.actor, "viewRecord", ctx.actor.lgCode);
  const rows = (await changesOfRequest(ctx.db, requestKey)).filter((r) => r.lgCode === ctx.actor.lgCode);
  if (rows.length === 0) return null;
  const residentIds = [...new Set(rows.map((r) => r.residentId))];
  await ctx.db.transaction().execute(async (trx) => {
    for (const id of residentIds) {
      await appendAudit(trx, {
        lgCode: ctx.actor.lgCode,
        actor: { staffId: ctx.actor.staffId, role: ctx.actor.roles.join(",") },
        action: "record.view",
        subjectResidentId: id,
        purpose: "異動処理の結果確認",
        detail: { via: "counter.changeResult" },
      });
    }
  });
  return {
    requestKey,
    late: rows.some((r) => r.late),
    residentIds,
    changes: rows.map((r) => ({
      id: r.id,
      residentId: r.residentId,
      kind: r.kind,
      kindLabel: changeKindLabel[r.kind],
      effectiveDate: r.effectiveDate,
      notifiedOn: r.notifiedOn,
      late: r.late,
      reason: r.reason,
      approvedBy: r.approvedBy,
      lines: lines(r.before, r.after),
    })),
  };
}

import type { ResidentHit } from "../../register/search.queries.js";
import { type ChangeFormKind, HOUSEHOLD_CHANGE_TYPES } from "./kinds.js";
import type { SummaryRow } from "./seal.js";

/**
 * What the supervisor reads before approving: the request's items with Japanese labels, and who
 * each 住民票コード on it belongs to. Built when the request is filed, kept sealed (seal.ts).
 */

const LABELS: Record<string, string> = {
  movedInOn: "転入した年月日",
  notifiedOn: "届出日",
  effectiveDate: "異動日",
  reason: "理由",
  previousAddress: "従前の住所",
  residentCode: "住民票コード",
  residentCodes: "住民票コード",
  newHeadCode: "新しい世帯主の住民票コード",
  householdCode: "世帯の方の住民票コード",
  intoCode: "合併先の世帯の方の住民票コード",
  remainingHeadCode: "残る世帯の世帯主の住民票コード",
  relationships: "続柄",
  remainingRelationships: "残る世帯の続柄",
  corrections: "修正後",
  persons: "記載する方",
  household: "世帯",
  memberCode: "加入する世帯の方の住民票コード",
  kind: "世帯の指定",
  address: "住所",
  town: "町名",
  chome: "丁目",
  block: "番",
  lot: "号",
  building: "方書",
  name: "氏名",
  family: "氏",
  given: "名",
  familyKana: "氏のフリガナ",
  givenKana: "名のフリガナ",
  birthDate: "生年月日",
  sex: "性別",
  nationality: "国籍・地域",
  relationship: "続柄",
  myNumber: "個人番号",
  honseki: "本籍",
  headOfFamily: "筆頭者",
  foreigner: "外国人住民の項目",
  category: "区分",
  becameResidentOn: "外国人住民となった年月日",
  status: "在留資格",
  periodOfStay: "在留期間",
  periodExpiresOn: "満了の日",
  residenceCardNumber: "在留カードの番号",
  specialPermanentResidentCertificateNumber: "特別永住者証明書の番号",
  alias: "通称",
  type: "種類",
};

const VALUES: Record<string, string> = {
  male: "男",
  female: "女",
  new: "新しい世帯",
  join: "既存の世帯に加入",
  ...HOUSEHOLD_CHANGE_TYPES,
};

function label(path: (string | number)[]): string {
  return path.map((seg) => (typeof seg === "number" ? `${seg + 1}人目` : (LABELS[seg] ?? seg))).join(" ");
}

function flatten(value: unknown, path: (string | number)[], out: SummaryRow[]): void {
  if (value === undefined || value === null || value === "") return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) flatten(v, [...path, i], out);
    return;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== "requestKey") flatten(v, [...path, k], out);
    return;
  }
  // The 個人番号 is not shown in the queue (it is checked by the register, not by the approver).
  if (path[path.length - 1] === "myNumber") return;
  out.push({ label: label(path), value: VALUES[String(value)] ?? String(value) });
}

export function summarize(
  _kind: ChangeFormKind,
  value: unknown,
  residents: ReadonlyMap<string, ResidentHit>,
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const hit of residents.values()) {
    rows.push({
      label: "対象の方",
      value: `${hit.familyName} ${hit.givenName}（${hit.familyKana} ${hit.givenKana}）${hit.birthDate} 生 ${hit.addressLine}`,
    });
  }
  flatten(value, [], rows);
  return rows;
}

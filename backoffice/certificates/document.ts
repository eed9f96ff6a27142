/**
 * What a 住民票の写し / 除票の写し says, as label–value rows, before any layout. Pure: records and
 * options in, a CertificateDocument out; the renderer draws exactly these rows, and the content
 * digest (which the verification code covers) is taken over them.
 *
 * Items printed (住基法 第12条第5項, DOMAIN.md "Certificates"): name, kana, birth date, sex, the dates
 * of becoming a resident and of setting the address, the previous address and the address are
 * always printed; 世帯主・続柄, 本籍・筆頭者, 住民票コード, 個人番号 and a foreign resident's
 * 国籍・地域 and 第30条の45 items only when asked for (and allowed: issue.ts decides who may ask).
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../register/audit.js";
import { removalReasonLabel } from "../register/lifecycle.js";
import { HEAD, type ResidentState } from "../register/record.js";
import type { IsoDate } from "../register/time-rules.js";
import { toWareki } from "../register/wareki.js";
import { ITEM_LABELS } from "./labels.js";

export type CertificateKind = "residentCertificate" | "removedRecordCertificate";
/** household: 世帯全員 (every living member); individual: 世帯の一部 (the chosen members). */
export type CertificateForm = "household" | "individual";

/** Items printed only when asked for. */
export interface CertificateItems {
  /** 世帯主の氏名及び世帯主との続柄 */
  householdHead: boolean;
  /** 本籍及び筆頭者 (Japanese nationals) */
  honseki: boolean;
  /** 住民票コード (only on a request by the person or their household) */
  residentCode: boolean;
  /** 個人番号 (only on a request by the person or their household) */
  myNumber: boolean;
  /** 国籍・地域 and the 第30条の45 items (foreign residents) */
  foreignerItems: boolean;
}

export { ITEM_LABELS } from "./labels.js";

export const KIND_LABELS: Record<CertificateKind, string> = {
  residentCertificate: "住民票の写し",
  removedRecordCertificate: "除票の写し",
};

export const FORM_LABELS: Record<CertificateForm, string> = {
  household: "世帯全員",
  individual: "世帯の一部",
};

export interface CertificateRow {
  label: string;
  value: string;
}

export interface CertificatePersonBlock {
  rows: CertificateRow[];
}

export interface CertificateDocument {
  kind: CertificateKind;
  form: CertificateForm;
  title: string;
  scope: string;
  municipality: { lgCode: string; prefecture: string; name: string };
  issuedOn: IsoDate;
  certificateNumber: string;
  /** Rows above the people: 住所, 世帯主. */
  header: CertificateRow[];
  persons: CertificatePersonBlock[];
  /** Labels of the items left out (printed as 省略した事項). */
  omitted: string[];
  statement: string;
  issuedOnText: string;
  mayorLine: string;
}

export interface CertificatePersonInput {
  state: ResidentState;
  /** The 個人番号 in clear, when it is to be printed (read through readMyNumber). */
  myNumber?: string | null;
}

export interface CertificateInput {
  kind: CertificateKind;
  form: CertificateForm;
  municipality: { lgCode: string; prefecture: string; name: string };
  issuedOn: IsoDate;
  certificateNumber: string;
  items: CertificateItems;
  /** In print order (the head first in a household form). */
  persons: CertificatePersonInput[];
  /** The household's head (for 世帯主 in the header), when the items ask for it. */
  head: ResidentState | null;
}

const SEX_LABELS = { male: "男", female: "女" } as const;

const regionNames = new Intl.DisplayNames(["ja"], { type: "region" });

/** "VN" → "ベトナム"; an unknown code prints as it is. */
export function regionName(code: string): string {
  try {
    return regionNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export function fullName(s: Pick<ResidentState, "familyName" | "givenName">): string {
  return `${s.familyName}　${s.givenName}`;
}

function nameRow(s: ResidentState): CertificateRow {
  const alias = s.foreigner?.alias;
  return { label: "氏名", value: alias ? `${fullName(s)}（通称　${alias}）` : fullName(s) };
}

function foreignerRows(s: ResidentState): CertificateRow[] {
  const f = s.foreigner;
  if (!f) return [];
  const rows: CertificateRow[] = [
    { label: "国籍・地域", value: regionName(s.nationality) },
    { label: "第30条の45規定区分", value: f.category },
    { label: "外国人住民となった年月日", value: toWareki(f.becameResidentOn) },
  ];
  switch (f.category) {
    case "中長期在留者":
      if (f.status) rows.push({ label: "在留資格", value: f.status });
      if (f.periodOfStay) rows.push({ label: "在留期間", value: f.periodOfStay });
      if (f.periodExpiresOn) rows.push({ label: "在留期間の満了の日", value: toWareki(f.periodExpiresOn) });
      if (f.residenceCardNumber) rows.push({ label: "在留カード等の番号", value: f.residenceCardNumber });
      break;
    case "特別永住者":
      if (f.specialPermanentResidentCertificateNumber)
        rows.push({ label: "特別永住者証明書の番号", value: f.specialPermanentResidentCertificateNumber });
      break;
    case "一時庇護許可者":
      if (f.periodExpiresOn) rows.push({ label: "上陸期間の末日", value: toWareki(f.periodExpiresOn) });
      break;
    case "仮滞在許可者":
      if (f.periodExpiresOn) rows.push({ label: "仮滞在期間の末日", value: toWareki(f.periodExpiresOn) });
      break;
    default:
      // 出生・国籍喪失による経過滞在者: the category and the date say it all.
      break;
  }
  return rows;
}

function personRows(p: CertificatePersonInput, items: CertificateItems): CertificateRow[] {
  const s = p.state;
  const rows: CertificateRow[] = [
    nameRow(s),
    { label: "フリガナ", value: `${s.familyKana}　${s.givenKana}` },
    { label: "生年月日", value: toWareki(s.birthDate) },
    { label: "性別", value: SEX_LABELS[s.sex] },
  ];
  if (items.householdHead) rows.push({ label: "続柄", value: s.relationship });
  rows.push({ label: "住民となった年月日", value: toWareki(s.residentSince) });
  rows.push({
    label: "住所を定めた年月日",
    value: s.addressNotifiedOn
      ? `${toWareki(s.addressSince)}（${toWareki(s.addressNotifiedOn)}届出）`
      : toWareki(s.addressSince),
  });
  if (s.previousAddress) rows.push({ label: "従前の住所", value: s.previousAddress });
  if (items.honseki && s.nationality === "JP") {
    rows.push({ label: "本籍", value: s.honseki ?? "（記載なし）" });
    rows.push({ label: "筆頭者", value: s.honsekiHead ?? "（記載なし）" });
  }
  if (items.foreignerItems && s.foreigner) rows.push(...foreignerRows(s));
  if (items.residentCode) rows.push({ label: "住民票コード", value: s.residentCode });
  if (items.myNumber) rows.push({ label: "個人番号", value: p.myNumber ?? "（未指定）" });
  if (s.status === "moveOutScheduled" && s.moveOut) {
    rows.push({
      label: "転出予定",
      value: `${toWareki(s.moveOut.plannedOn)}　転出先　${s.moveOut.destinationAddress}`,
    });
  }
  if (s.status === "removed" && s.removedOn && s.removalReason) {
    const reason = removalReasonLabel[s.removalReason];
    const destination =
      (s.removalReason === "movedOut" || s.removalReason === "emigrated") && s.moveOut
        ? `　転出先　${s.moveOut.destinationAddress}`
        : "";
    rows.push({ label: "消除の年月日・事由", value: `${toWareki(s.removedOn)}　${reason}${destination}` });
  }
  return rows;
}

/** The household's address as it is written on the certificate. */
function addressRow(s: ResidentState): CertificateRow {
  return { label: "住所", value: s.addressLine };
}

export function buildCertificateDocument(input: CertificateInput): CertificateDocument {
  const first = input.persons[0];
  if (!first) throw new RangeError("証明書に記載する住民がいません");
  const { items } = input;
  const removed = input.kind === "removedRecordCertificate";
  const header: CertificateRow[] = [addressRow(first.state)];
  if (items.householdHead && input.head) header.push({ label: "世帯主", value: fullName(input.head) });

  const anyForeigner = input.persons.some((p) => p.state.foreigner !== null);
  const anyJapanese = input.persons.some((p) => p.state.nationality === "JP");
  const omitted: string[] = [];
  if (!items.householdHead) omitted.push(ITEM_LABELS.householdHead);
  if (!items.honseki && anyJapanese) omitted.push(ITEM_LABELS.honseki);
  if (!items.foreignerItems && anyForeigner) omitted.push(ITEM_LABELS.foreignerItems);
  if (!items.residentCode) omitted.push(ITEM_LABELS.residentCode);
  if (!items.myNumber) omitted.push(ITEM_LABELS.myNumber);

  const statement = removed
    ? "この写しは、除票の原本と相違ないことを証明する。"
    : input.form === "household"
      ? "この写しは、世帯全員の住民票の原本と相違ないことを証明する。"
      : "この写しは、住民票の原本と相違ないことを証明する。";

  return {
    kind: input.kind,
    form: input.form,
    title: KIND_LABELS[input.kind],
    scope: removed ? "" : `（${FORM_LABELS[input.form]}）`,
    municipality: { ...input.municipality },
    issuedOn: input.issuedOn,
    certificateNumber: input.certificateNumber,
    header,
    persons: input.persons.map((p) => ({ rows: personRows(p, items) })),
    omitted,
    statement,
    issuedOnText: toWareki(input.issuedOn),
    mayorLine: `${input.municipality.prefecture}${input.municipality.name}長`,
  };
}

/** SHA-256 over the canonical JSON of everything printed except the verification code. */
export function contentDigest(doc: CertificateDocument): Buffer {
  return createHash("sha256").update(canonicalJson(doc), "utf8").digest();
}

/** Print order of a household: the head first, then by the order given (stable). */
export function householdOrder<T extends { state: Pick<ResidentState, "relationship"> }>(people: T[]): T[] {
  return [...people].sort(
    (a, b) => Number(b.state.relationship === HEAD) - Number(a.state.relationship === HEAD),
  );
}

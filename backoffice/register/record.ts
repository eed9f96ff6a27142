/**
 * The resident record as the domain sees it (住基法 第7条; 第30条の45 for foreign residents), its
 * mapping to and from `register.resident`, and how a change is written down as before/after.
 * Pure: no database, no clock.
 */
import type { Insertable, Selectable } from "kysely";
import type { ResidentTable } from "../../db/types/register.js";
import type { LifecycleState, RecordStatus, RemovalReason } from "./lifecycle.js";
import { normalizeKana, normalizeName } from "./names.js";
import { addDays, type IsoDate } from "./time-rules.js";

export type Sex = "male" | "female";

/** 第30条の45 categories of foreign residents. */
export const FOREIGNER_CATEGORIES = [
  "中長期在留者",
  "特別永住者",
  "一時庇護許可者",
  "仮滞在許可者",
  "出生による経過滞在者",
  "国籍喪失による経過滞在者",
] as const;
export type ForeignerCategory = (typeof FOREIGNER_CATEGORIES)[number];

/**
 * Foreign-resident items, by category (field names follow the world file). Which are required
 * depends on the category (validation.ts).
 */
export interface ForeignerItems {
  category: ForeignerCategory;
  /** 外国人住民となった年月日 */
  becameResidentOn: IsoDate;
  /** 在留資格 (中長期在留者) */
  status?: string | null;
  /** 在留期間 (中長期在留者), e.g. "3年" */
  periodOfStay?: string | null;
  /** 在留期間の満了の日 (中長期在留者); 上陸期間 / 仮滞在期間 の末日 (一時庇護・仮滞在) */
  periodExpiresOn?: IsoDate | null;
  /** 在留カードの番号 (中長期在留者) */
  residenceCardNumber?: string | null;
  /** 特別永住者証明書の番号 (特別永住者) */
  specialPermanentResidentCertificateNumber?: string | null;
  /** 通称 */
  alias?: string | null;
}

/** 転出予定 (or the 国外転出 destination): what the 転出証明書 carries. */
export interface MoveOutItems {
  plannedOn: IsoDate;
  /** 転出先の地方公共団体コード; null for 国外転出. */
  destinationLgCode: string | null;
  /** 転出先住所 as the resident gave it (a country for 国外転出). */
  destinationAddress: string;
}

/** The register items of one record, in the form they are replayed and compared. */
export interface ResidentState {
  lgCode: string;
  householdId: string;
  /** 続柄 (世帯主との続柄); "世帯主" for the head. */
  relationship: string;
  residentCode: string;
  /** 個人番号, sealed (base64 of my-number.ts's cipher and blind index); null until assigned. */
  myNumberCipher: string | null;
  myNumberIndex: string | null;
  familyName: string;
  givenName: string;
  familyKana: string;
  givenKana: string;
  birthDate: IsoDate;
  sex: Sex;
  /** "JP" for Japanese nationals, else the nationality or region (ISO 3166 alpha-2). */
  nationality: string;
  /** 本籍 and 筆頭者 (Japanese nationals only). */
  honseki: string | null;
  honsekiHead: string | null;
  foreigner: ForeignerItems | null;
  /** 住民となった年月日 */
  residentSince: IsoDate;
  /** 住所を定めた年月日 */
  addressSince: IsoDate;
  /** 住所を定めた旨の届出の年月日 */
  addressNotifiedOn: IsoDate | null;
  /** 従前の住所 */
  previousAddress: string | null;
  town: string;
  chome: number;
  block: number;
  lot: number | null;
  building: string | null;
  addressLine: string;
  /** 選挙人名簿・国民健康保険・後期高齢者医療・介護保険・国民年金・児童手当 status lines. */
  qualifications: Record<string, unknown>;
  moveOut: MoveOutItems | null;
  status: LifecycleState;
  removalReason: RemovalReason | null;
  removedOn: IsoDate | null;
  /** 除票の保存期間: 150 years after the removal. */
  retainUntil: IsoDate | null;
}

export type RecordField = keyof ResidentState;

export const RECORD_FIELDS = [
  "lgCode",
  "householdId",
  "relationship",
  "residentCode",
  "myNumberCipher",
  "myNumberIndex",
  "familyName",
  "givenName",
  "familyKana",
  "givenKana",
  "birthDate",
  "sex",
  "nationality",
  "honseki",
  "honsekiHead",
  "foreigner",
  "residentSince",
  "addressSince",
  "addressNotifiedOn",
  "previousAddress",
  "town",
  "chome",
  "block",
  "lot",
  "building",
  "addressLine",
  "qualifications",
  "moveOut",
  "status",
  "removalReason",
  "removedOn",
  "retainUntil",
] as const satisfies readonly RecordField[];

/** Fields that make up the 本人確認情報 (a change of any of them is sent to 住基ネット). */
export const IDENTITY_FIELDS = [
  "residentCode",
  "myNumberCipher",
  "familyName",
  "givenName",
  "familyKana",
  "givenKana",
  "birthDate",
  "sex",
  "town",
  "chome",
  "block",
  "lot",
  "building",
  "addressLine",
  "status",
  "removalReason",
  "moveOut",
] as const satisfies readonly RecordField[];

export const HEAD = "世帯主";

/** 除票 are kept 150 years (住基法施行令 第34条). */
export const RETENTION_YEARS = 150;

export function retainUntil(removedOn: IsoDate): IsoDate {
  const year = Number(removedOn.slice(0, 4)) + RETENTION_YEARS;
  const candidate = `${String(year).padStart(4, "0")}${removedOn.slice(4)}`;
  // 2/29 plus 150 years is not always a leap day: keep the record to 3/1.
  return candidate.endsWith("-02-29") && !isLeap(year) ? addDays(`${year}-02-28`, 1) : candidate;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function statusOf(state: Pick<ResidentState, "status" | "removalReason">): RecordStatus {
  if (state.status === "removed") {
    if (!state.removalReason) throw new TypeError("a removed record needs its removal reason");
    return { state: "removed", removalReason: state.removalReason };
  }
  return { state: state.status };
}

/** A living record: in effect (active or with a 転出 scheduled). */
export function isCurrent(status: LifecycleState): boolean {
  return status === "active" || status === "moveOutScheduled";
}

// ---------------------------------------------------------------------------------------------
// Addresses

const KANJI_DIGITS = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/** 1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (for 丁目). */
export function kanjiNumber(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new RangeError(`kanjiNumber: ${n}`);
  if (n < 10) return KANJI_DIGITS[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? "" : KANJI_DIGITS[tens]}十${ones === 0 ? "" : KANJI_DIGITS[ones]}`;
}

export interface AddressItems {
  town: string;
  chome: number;
  block: number;
  lot: number | null;
  building: string | null;
}

/** "東京都墨田区吾妻橋一丁目23番1号 吾妻橋レジデンス502", as the world file writes addresses. */
export function formatAddressLine(
  municipality: { prefecture: string; name: string },
  a: AddressItems,
): string {
  const chome = a.chome > 0 ? `${kanjiNumber(a.chome)}丁目` : "";
  const number = a.lot === null ? `${a.block}番地` : `${a.block}番${a.lot}号`;
  const building = a.building ? ` ${a.building}` : "";
  return `${municipality.prefecture}${municipality.name}${a.town}${chome}${number}${building}`;
}

export function sameAddress(a: AddressItems, b: AddressItems): boolean {
  return (
    a.town === b.town &&
    a.chome === b.chome &&
    a.block === b.block &&
    (a.lot ?? null) === (b.lot ?? null) &&
    (a.building ?? null) === (b.building ?? null)
  );
}

export function addressOf(s: ResidentState): AddressItems {
  return { town: s.town, chome: s.chome, block: s.block, lot: s.lot, building: s.building };
}

// ---------------------------------------------------------------------------------------------
// Row mapping

export type ResidentRow = Selectable<ResidentTable>;

export function stateToRow(id: string, state: ResidentState, version: number): Insertable<ResidentTable> {
  return {
    id,
    lg_code: state.lgCode,
    household_id: state.householdId,
    relationship: state.relationship,
    resident_code: state.residentCode,
    my_number_cipher: state.myNumberCipher === null ? null : Buffer.from(state.myNumberCipher, "base64"),
    my_number_index: state.myNumberIndex === null ? null : Buffer.from(state.myNumberIndex, "base64"),
    family_name: state.familyName,
    given_name: state.givenName,
    family_kana: state.familyKana,
    given_kana: state.givenKana,
    name_search: normalizeName(state.familyName + state.givenName),
    kana_search: normalizeKana(state.familyKana + state.givenKana),
    birth_date: state.birthDate,
    sex: state.sex,
    nationality: state.nationality,
    honseki: state.honseki,
    honseki_head: state.honsekiHead,
    foreigner: state.foreigner === null ? null : JSON.stringify(state.foreigner),
    resident_since: state.residentSince,
    address_since: state.addressSince,
    address_notified_on: state.addressNotifiedOn,
    previous_address: state.previousAddress,
    town: state.town,
    chome: state.chome,
    block: state.block,
    lot: state.lot,
    building: state.building,
    address_line: state.addressLine,
    qualifications: JSON.stringify(state.qualifications),
    move_out: state.moveOut === null ? null : JSON.stringify(state.moveOut),
    status: state.status,
    removal_reason: state.removalReason,
    removed_on: state.removedOn,
    retain_until: state.retainUntil,
    version,
  };
}

export function rowToState(row: ResidentRow): ResidentState {
  return {
    lgCode: row.lg_code,
    householdId: row.household_id,
    relationship: row.relationship,
    residentCode: row.resident_code,
    myNumberCipher:
      row.my_number_cipher === null ? null : Buffer.from(row.my_number_cipher).toString("base64"),
    myNumberIndex: row.my_number_index === null ? null : Buffer.from(row.my_number_index).toString("base64"),
    familyName: row.family_name,
    givenName: row.given_name,
    familyKana: row.family_kana,
    givenKana: row.given_kana,
    birthDate: row.birth_date,
    sex: row.sex,
    nationality: row.nationality,
    honseki: row.honseki,
    honsekiHead: row.honseki_head,
    foreigner: row.foreigner as ForeignerItems | null,
    residentSince: row.resident_since,
    addressSince: row.address_since,
    addressNotifiedOn: row.address_notified_on,
    previousAddress: row.previous_address,
    town: row.town,
    chome: row.chome,
    block: row.block,
    lot: row.lot,
    building: row.building,
    addressLine: row.address_line,
    qualifications: row.qualifications ?? {},
    moveOut: row.move_out as MoveOutItems | null,
    status: row.status,
    removalReason: row.removal_reason,
    removedOn: row.removed_on,
    retainUntil: row.retain_until,
  };
}

// ---------------------------------------------------------------------------------------------
// Changes as before/after

export type Patch = Partial<ResidentState>;

/** JSON with sorted keys, for comparing values that went through jsonb. */
export function stableJson(value: unknown): string {
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

export function sameValue(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

/**
 * The before/after of a change: every field that differs, plus `status` and `removalReason` always
 * (so that the history alone says which status each change left, and a cancellation knows what to
 * restore). For a record that did not exist yet, `before` holds only the status `none`.
 */
export function diffRecords(
  current: ResidentState | null,
  next: ResidentState,
): { before: Patch; after: Patch } {
  if (current === null) {
    // A new record: everything is new, nothing to compare.
    const after: Record<string, unknown> = {};
    for (const field of RECORD_FIELDS) after[field] = next[field];
    return { before: { status: "none", removalReason: null }, after: after as Patch };
  }
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    const was = current[field];
    const now = next[field];
    const always = field === "status" || field === "removalReason";
    if (always || !sameValue(was, now)) {
      before[field] = was;
      after[field] = now;
    }
  }
  return { before: before as Patch, after: after as Patch };
}

/** Fields a change touched (excluding the always-present status pair when it did not move). */
export function touchedFields(before: Patch, after: Patch): RecordField[] {
  return RECORD_FIELDS.filter(
    (f) => f in after && (!(f in before) || !sameValue((before as Record<string, unknown>)[f], after[f])),
  );
}

export function applyPatch(state: ResidentState, patch: Patch): ResidentState {
  return { ...state, ...patch };
}

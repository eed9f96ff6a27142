/**
 * Validation of the register's input, field by field, with Japanese messages (errors.ts).
 * Pure: the municipality's towns and `today` are passed in; nothing here reads the clock or the
 * database. Messages name the rule, never the value (a form shows the value next to it anyway,
 * and a message may end up in a log).
 */
import { readFileSync } from "node:fs";
import { MUNICIPALITIES_CSV } from "../../lib/world.js";
import type { FieldErrors } from "./errors.js";
import { isValidLgCode, isValidMyNumber, isValidResidentCode } from "./identifiers.js";
import { FOREIGNER_CATEGORIES, type ForeignerItems, HEAD, type Sex } from "./record.js";
import { daysBetween, type IsoDate, isIsoDate } from "./time-rules.js";

export interface Municipality {
  lgCode: string;
  prefecture: string;
  name: string;
  towns: { name: string; chomeMax: number }[];
  hosted: boolean;
}

export interface NameInput {
  family: string;
  given: string;
  familyKana: string;
  givenKana: string;
}

export interface AddressInput {
  town: string;
  chome: number;
  block: number;
  lot?: number | null;
  building?: string | null;
}

export interface HonsekiInput {
  /** 本籍 */
  address: string;
  /** 筆頭者 */
  headOfFamily: string;
}

/** The items of a person that every creating change carries. */
export interface PersonItemsInput {
  name: NameInput;
  birthDate: IsoDate;
  sex: Sex;
  /** "JP", or the nationality or region (ISO 3166 alpha-2) of a foreign resident. */
  nationality: string;
  honseki?: HonsekiInput | null;
  foreigner?: ForeignerItems | null;
  qualifications?: Record<string, unknown>;
}

const MAX_TEXT = 100;
/** Full-width katakana, the prolonged sound mark, the middle dot and spaces (ヴァン アン). */
const KANA = /^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$/u;
const REQUEST_KEY = /^[\x21-\x7e]{1,200}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNTRY = /^[A-Z]{2}$/;
/** 在留カード・特別永住者証明書の番号: 2 letters, 8 digits, 2 letters. */
const CARD_NUMBER = /^[A-Z]{2}\d{8}[A-Z]{2}$/;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isUuid(v: unknown): v is string {
  return typeof v === "string" && UUID.test(v);
}

function isBlank(v: unknown): boolean {
  return typeof v !== "string" || v.trim() === "";
}

export function checkRequestKey(key: unknown, errors: FieldErrors): void {
  if (typeof key !== "string" || !REQUEST_KEY.test(key)) {
    errors.add("requestKey", "要求キーは 1〜200 文字の半角英数記号で指定してください");
  }
}

export function checkLgCode(value: unknown, path: string, errors: FieldErrors): value is string {
  if (typeof value !== "string" || !isValidLgCode(value)) {
    errors.add(path, "地方公共団体コードは 6 桁で、検査数字が正しいものを指定してください");
    return false;
  }
  return true;
}

let knownLgCodes: Set<string> | undefined;

/** Every municipality in Japan (fixtures/municipalities.csv). */
export function isKnownMunicipality(lgCode: string): boolean {
  if (!knownLgCodes) {
    const lines = readFileSync(MUNICIPALITIES_CSV, "utf8").split(/\r?\n/).slice(1);
    knownLgCodes = new Set(lines.map((l) => l.split(",")[0] ?? "").filter((c) => c !== ""));
  }
  return knownLgCodes.has(lgCode);
}

export function checkOtherMunicipality(
  value: unknown,
  ownLgCode: string,
  path: string,
  errors: FieldErrors,
): void {
  if (!checkLgCode(value, path, errors)) return;
  if (!isKnownMunicipality(value)) {
    errors.add(path, "この地方公共団体コードの市区町村はありません");
  } else if (value === ownLgCode) {
    errors.add(path, "同じ市区町村の中の異動は転居として届け出てください");
  }
}

export function checkResidentCode(value: unknown, path: string, errors: FieldErrors): value is string {
  if (typeof value !== "string" || !isValidResidentCode(value)) {
    errors.add(path, "住民票コードは 11 桁の半角数字で、検査数字が正しいものを指定してください");
    return false;
  }
  return true;
}

export function checkMyNumber(value: unknown, path: string, errors: FieldErrors): value is string {
  if (typeof value !== "string" || !isValidMyNumber(value)) {
    errors.add(path, "個人番号は 12 桁の半角数字で、検査数字が正しいものを指定してください");
    return false;
  }
  return true;
}

export function checkUuid(value: unknown, path: string, errors: FieldErrors, what: string): value is string {
  if (!isUuid(value)) {
    errors.add(path, `${what}の ID が正しくありません`);
    return false;
  }
  return true;
}

export function checkText(
  value: unknown,
  path: string,
  errors: FieldErrors,
  what: string,
  opts: { required?: boolean; max?: number } = {},
): void {
  const required = opts.required ?? true;
  if (value === undefined || value === null || value === "") {
    if (required) errors.add(path, `${what}を入力してください`);
    return;
  }
  if (typeof value !== "string" || value.trim() === "") {
    errors.add(path, `${what}を入力してください`);
    return;
  }
  if ([...value].length > (opts.max ?? MAX_TEXT)) {
    errors.add(path, `${what}は ${opts.max ?? MAX_TEXT} 文字以内で入力してください`);
  }
}

export interface DateRule {
  /** The date may not be after this day (usually today). */
  notAfter?: IsoDate;
  notAfterMessage?: string;
  notBefore?: IsoDate;
  notBeforeMessage?: string;
}

/** A calendar date in YYYY-MM-DD; returns it when valid. */
export function checkDate(
  value: unknown,
  path: string,
  errors: FieldErrors,
  what: string,
  rule: DateRule = {},
): IsoDate | undefined {
  if (typeof value !== "string" || !isIsoDate(value)) {
    errors.add(path, `${what}は YYYY-MM-DD の形の正しい日付で指定してください`);
    return undefined;
  }
  if (value < "1868-01-25") {
    errors.add(path, `${what}が古すぎます（明治より前の日付は扱えません）`);
    return undefined;
  }
  if (rule.notAfter && daysBetween(rule.notAfter, value) > 0) {
    errors.add(path, rule.notAfterMessage ?? `${what}に未来の日付は指定できません`);
    return undefined;
  }
  if (rule.notBefore && daysBetween(rule.notBefore, value) < 0) {
    errors.add(path, rule.notBeforeMessage ?? `${what}が早すぎます`);
    return undefined;
  }
  return value;
}

export function checkName(value: unknown, path: string, errors: FieldErrors): void {
  if (!isObject(value)) {
    errors.add(path, "氏名を入力してください");
    return;
  }
  checkText(value.family, `${path}.family`, errors, "氏");
  checkText(value.given, `${path}.given`, errors, "名");
  for (const [key, what] of [
    ["familyKana", "氏のフリガナ"],
    ["givenKana", "名のフリガナ"],
  ] as const) {
    const kana = value[key];
    if (isBlank(kana)) errors.add(`${path}.${key}`, `${what}を入力してください`);
    else if (!KANA.test(kana as string))
      errors.add(`${path}.${key}`, `${what}は全角カタカナで入力してください`);
    else if ([...(kana as string)].length > MAX_TEXT)
      errors.add(`${path}.${key}`, `${what}は ${MAX_TEXT} 文字以内で入力してください`);
  }
}

export function checkSex(value: unknown, path: string, errors: FieldErrors): void {
  if (value !== "male" && value !== "female")
    errors.add(path, "性別は male（男）か female（女）を指定してください");
}

export function checkRelationship(
  value: unknown,
  path: string,
  errors: FieldErrors,
  opts: { head: boolean },
): void {
  checkText(value, path, errors, "続柄", { max: 20 });
  if (typeof value === "string" && !opts.head && value === HEAD) {
    errors.add(path, "世帯主は世帯に一人です。世帯主の変更は世帯変更（世帯主の変更）で行ってください");
  }
}

/**
 * 本籍・筆頭者 for Japanese nationals; for foreign residents, the 第30条の45 items of their
 * category instead (and no 本籍).
 */
export function checkNationalityItems(
  person: Record<string, unknown>,
  path: string,
  errors: FieldErrors,
  today: IsoDate,
  birthDate: IsoDate | undefined,
): void {
  const nationality = person.nationality;
  if (typeof nationality !== "string" || !COUNTRY.test(nationality)) {
    errors.add(`${path}.nationality`, "国籍・地域は英大文字 2 文字のコード（日本は JP）で指定してください");
    return;
  }
  if (nationality === "JP") {
    if (person.foreigner !== undefined && person.foreigner !== null) {
      errors.add(`${path}.foreigner`, "日本国籍の方に外国人住民の項目は記載できません");
    }
    const honseki = person.honseki;
    if (!isObject(honseki)) {
      errors.add(`${path}.honseki`, "日本国籍の方は本籍と筆頭者を入力してください");
    } else {
      checkText(honseki.address, `${path}.honseki.address`, errors, "本籍", { max: 200 });
      checkText(honseki.headOfFamily, `${path}.honseki.headOfFamily`, errors, "筆頭者");
    }
    return;
  }
  if (person.honseki !== undefined && person.honseki !== null) {
    errors.add(`${path}.honseki`, "外国人住民に本籍は記載できません");
  }
  checkForeigner(person.foreigner, `${path}.foreigner`, errors, today, birthDate);
}

/** 第30条の45: what each category of foreign resident must have recorded. */
export function checkForeigner(
  value: unknown,
  path: string,
  errors: FieldErrors,
  today: IsoDate,
  birthDate: IsoDate | undefined,
): void {
  if (!isObject(value)) {
    errors.add(path, "外国人住民は第30条の45の区分と、区分に応じた項目を入力してください");
    return;
  }
  const category = value.category;
  if (!(FOREIGNER_CATEGORIES as readonly unknown[]).includes(category)) {
    errors.add(`${path}.category`, `区分は ${FOREIGNER_CATEGORIES.join("・")} のいずれかを指定してください`);
    return;
  }
  checkDate(value.becameResidentOn, `${path}.becameResidentOn`, errors, "外国人住民となった年月日", {
    notAfter: today,
    ...(birthDate
      ? { notBefore: birthDate, notBeforeMessage: "外国人住民となった年月日が生年月日より前です" }
      : {}),
  });
  checkText(value.alias, `${path}.alias`, errors, "通称", { required: false });
  const need = (key: string, what: string) => {
    if (isBlank(value[key])) errors.add(`${path}.${key}`, `${category}は${what}を入力してください`);
  };
  const cardNumber = (key: string, what: string) => {
    need(key, what);
    const v = value[key];
    if (!isBlank(v) && !CARD_NUMBER.test(v as string)) {
      errors.add(`${path}.${key}`, `${what}は英大文字 2 文字・数字 8 桁・英大文字 2 文字の 12 文字です`);
    }
  };
  const forbid = (key: string, what: string) => {
    if (!isBlank(value[key])) errors.add(`${path}.${key}`, `${category}に${what}は記載しません`);
  };
  switch (category) {
    case "中長期在留者":
      need("status", "在留資格");
      need("periodOfStay", "在留期間");
      need("periodExpiresOn", "在留期間の満了の日");
      if (!isBlank(value.periodExpiresOn)) {
        checkDate(value.periodExpiresOn, `${path}.periodExpiresOn`, errors, "在留期間の満了の日");
      }
      cardNumber("residenceCardNumber", "在留カードの番号");
      forbid("specialPermanentResidentCertificateNumber", "特別永住者証明書の番号");
      break;
    case "特別永住者":
      cardNumber("specialPermanentResidentCertificateNumber", "特別永住者証明書の番号");
      forbid("residenceCardNumber", "在留カードの番号");
      forbid("status", "在留資格");
      break;
    case "一時庇護許可者":
    case "仮滞在許可者":
      need("periodExpiresOn", category === "一時庇護許可者" ? "上陸期間の末日" : "仮滞在期間の末日");
      if (!isBlank(value.periodExpiresOn)) {
        checkDate(value.periodExpiresOn, `${path}.periodExpiresOn`, errors, "期間の末日");
      }
      forbid("residenceCardNumber", "在留カードの番号");
      forbid("specialPermanentResidentCertificateNumber", "特別永住者証明書の番号");
      break;
    default:
      // 出生・国籍喪失による経過滞在者: no status yet (60 days to apply, 入管法 第22条の2).
      forbid("residenceCardNumber", "在留カードの番号");
      forbid("specialPermanentResidentCertificateNumber", "特別永住者証明書の番号");
      break;
  }
}

/** The person's own items (name, birth date, sex, nationality and its items). */
export function checkPersonItems(value: unknown, path: string, errors: FieldErrors, today: IsoDate): void {
  if (!isObject(value)) {
    errors.add(path, "住民の情報を入力してください");
    return;
  }
  checkName(value.name, `${path}.name`, errors);
  const birthDate = checkDate(value.birthDate, `${path}.birthDate`, errors, "生年月日", {
    notAfter: today,
    notAfterMessage: "生年月日に未来の日付は指定できません",
  });
  checkSex(value.sex, `${path}.sex`, errors);
  checkNationalityItems(value, path, errors, today, birthDate);
  if (value.qualifications !== undefined && !isObject(value.qualifications)) {
    errors.add(`${path}.qualifications`, "資格等の記載事項の形が正しくありません");
  }
}

/** An address in the municipality: a town it has, a 丁目 that exists in that town, a 番 and 号. */
export function checkAddress(
  value: unknown,
  path: string,
  errors: FieldErrors,
  municipality: Municipality,
): void {
  if (!isObject(value)) {
    errors.add(path, "住所を入力してください");
    return;
  }
  const town = municipality.towns.find((t) => t.name === value.town);
  if (isBlank(value.town)) {
    errors.add(`${path}.town`, "町名を入力してください");
  } else if (!town) {
    errors.add(`${path}.town`, `${municipality.name}にこの町名はありません`);
  }
  const chome = value.chome;
  if (typeof chome !== "number" || !Number.isInteger(chome) || chome < 0) {
    errors.add(`${path}.chome`, "丁目は 0 以上の整数で指定してください（丁目のない町は 0）");
  } else if (town) {
    if (town.chomeMax === 0 && chome !== 0) {
      errors.add(`${path}.chome`, `${town.name}には丁目がありません（0 を指定してください）`);
    } else if (town.chomeMax > 0 && (chome < 1 || chome > town.chomeMax)) {
      errors.add(`${path}.chome`, `${town.name}の丁目は 1〜${town.chomeMax} です`);
    }
  }
  const block = value.block;
  if (typeof block !== "number" || !Number.isInteger(block) || block < 1 || block > 9999) {
    errors.add(`${path}.block`, "番（街区・地番）は 1〜9999 の整数で指定してください");
  }
  const lot = value.lot;
  if (
    lot !== undefined &&
    lot !== null &&
    (typeof lot !== "number" || !Number.isInteger(lot) || lot < 1 || lot > 9999)
  ) {
    errors.add(`${path}.lot`, "号は 1〜9999 の整数で指定してください");
  }
  checkText(value.building, `${path}.building`, errors, "方書（建物名・部屋番号）", { required: false });
}

export function checkReason(value: unknown, path: string, errors: FieldErrors, required: boolean): void {
  checkText(value, path, errors, "理由", { required, max: 500 });
}

/** A non-empty list of distinct ids. */
export function checkIdList(
  value: unknown,
  path: string,
  errors: FieldErrors,
  what: string,
  max = 20,
): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.add(path, `${what}を 1 人以上指定してください`);
    return [];
  }
  if (value.length > max) {
    errors.add(path, `${what}は ${max} 人までです`);
    return [];
  }
  const ids: string[] = [];
  value.forEach((v, i) => {
    if (checkUuid(v, `${path}.${i}`, errors, what)) ids.push(v);
  });
  if (new Set(ids).size !== ids.length) errors.add(path, `${what}に同じ人が重複しています`);
  return ids;
}

/** relationships: residentId → 続柄 (never 世帯主: the head is named separately). */
export function checkRelationships(
  value: unknown,
  path: string,
  errors: FieldErrors,
  required: readonly string[],
): Record<string, string> {
  if (!isObject(value)) {
    if (required.length > 0) errors.add(path, "世帯員の続柄を指定してください");
    return {};
  }
  const out: Record<string, string> = {};
  for (const [id, rel] of Object.entries(value)) {
    if (!isUuid(id)) {
      errors.add(`${path}.${id}`, "住民の ID が正しくありません");
      continue;
    }
    checkRelationship(rel, `${path}.${id}`, errors, { head: false });
    if (typeof rel === "string") out[id] = rel;
  }
  for (const id of required) {
    if (!(id in out) && !errors.has(`${path}.${id}`))
      errors.add(`${path}.${id}`, "新しい世帯主との続柄を指定してください");
  }
  return out;
}

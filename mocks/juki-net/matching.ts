import { normalizeKana, normalizeName } from "../../backoffice/register/names.js";
import type { Address, IdentityInfo } from "./protocol.js";

/**
 * The four-item match (氏名・生年月日・性別・住所) used by look-ups and by the stand-in
 * municipalities to find the person an online 転出届 names.
 */

const KANJI_DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const KANJI_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** 二十三 → 23, 百五 → 105, 一〇 → 10 (digit by digit when there is no unit). */
function kanjiNumber(run: string): string {
  const chars = [...run];
  if (!chars.some((c) => c in KANJI_UNITS)) return chars.map((c) => String(KANJI_DIGITS[c])).join("");
  let total = 0;
  let digit = 0;
  for (const c of chars) {
    if (c in KANJI_DIGITS) digit = KANJI_DIGITS[c]!;
    else {
      total += (digit || 1) * KANJI_UNITS[c]!;
      digit = 0;
    }
  }
  return String(total + digit);
}

const PREFECTURE = /^(東京都|北海道|京都府|大阪府|[^都道府県]{2,3}県)/u;

/**
 * Comparison key for an address line: NFKC, no spaces, kanji numerals as digits, 丁目/番地/番/号
 * and dashes as "-". Both sides go through the same function, so a town name holding a numeral
 * (八丁堀) changes the same way on both.
 */
export function normalizeAddress(line: string): string {
  let s = line.normalize("NFKC").replace(/\s/gu, "");
  s = s.replace(/[〇零一二三四五六七八九十百千]+/gu, (run) => kanjiNumber(run));
  s = s.replace(/丁目|番地|番|号/gu, "-");
  s = s.replace(/[‐‑‒–—―−ーｰ]/gu, (ch, offset: number, all: string) =>
    // ー is a long vowel in kana town names (センター); only after a digit is it a dash.
    /\d/.test(all[offset - 1] ?? "") ? "-" : ch,
  );
  return s.replace(/-+/g, "-").replace(/-$/, "");
}

/** Keys under which a record's address matches: with and without 都道府県, with and without building. */
export function addressKeys(address: Address): string[] {
  const lines = [address.line];
  if (address.building) lines.push(address.line.replace(address.building, ""));
  const keys = lines.map(normalizeAddress);
  return [...keys, ...keys.map((k) => k.replace(PREFECTURE, ""))];
}

/**
 * A queried address matches a whole address or its beginning (e.g. only 都道府県 + 市区町村), cut
 * at a boundary: "…1-2" does not match "…1-23".
 */
export function addressMatches(query: string, address: Address): boolean {
  const q = normalizeAddress(query);
  if (!q) return false;
  return addressKeys(address).some(
    (k) => k.startsWith(q) && !(/\d$/.test(q) && /^\d/.test(k.slice(q.length))),
  );
}

export interface FourItems {
  name?: string | undefined;
  kana?: string | undefined;
  birthDate: string;
  sex: "male" | "female";
  address?: string | undefined;
}

export function matchesFourItems(
  q: FourItems,
  info: Pick<IdentityInfo, "name" | "birthDate" | "sex" | "address">,
): boolean {
  if (info.birthDate !== q.birthDate || info.sex !== q.sex) return false;
  if (!q.name && !q.kana) return false;
  if (q.name && normalizeName(q.name) !== normalizeName(`${info.name.family}${info.name.given}`))
    return false;
  if (q.kana && normalizeKana(q.kana) !== normalizeKana(`${info.name.familyKana}${info.name.givenKana}`))
    return false;
  if (q.address !== undefined && !addressMatches(q.address, info.address)) return false;
  return true;
}

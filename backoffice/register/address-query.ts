/**
 * Reading the address item of a four-item search into the register's structured address (town,
 * 丁目, 番, 号), so that the search can use the b-tree on those columns instead of scanning every
 * address line. Pure; the town names come from the municipality (register.municipality.towns).
 *
 * Accepted forms, after NFKC and without spaces: an optional prefix (都道府県・市区町村), a town
 * name, then optionally 丁目 in kanji or digits (四丁目, 4丁目), 番 or 番地, 号, or the same
 * numbers joined by hyphens (4-7-11). Anything else after the numbers (a building name) is left
 * for a text match.
 */

export interface AddressQuery {
  town: string;
  chome?: number;
  block?: number;
  lot?: number;
  /** True when nothing but a prefix, the town and the numbers was given. */
  complete: boolean;
}

const KANJI_DIGITS: Readonly<Record<string, number>> = {
  〇: 0,
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

/** A positive number: up to 5 digits, or 1–99 in kanji (十, 二十三); undefined when it is not one. */
export function parseSmallNumber(s: string): number | undefined {
  if (/^\d{1,5}$/.test(s)) return Number(s) > 0 ? Number(s) : undefined;
  const m = /^([一二三四五六七八九])?(十)?([〇一二三四五六七八九])?$/.exec(s);
  if (!m || s === "" || (!m[2] && m[1] && m[3])) return undefined;
  const tens = m[2] ? (m[1] ? KANJI_DIGITS[m[1]]! : 1) : 0;
  const ones = m[3] ? KANJI_DIGITS[m[3]]! : m[2] ? 0 : m[1] ? KANJI_DIGITS[m[1]]! : 0;
  const n = tens * 10 + ones;
  return n > 0 ? n : undefined;
}

const N = "(\\d{1,5}|[一二三四五六七八九十〇]{1,3})";
const H = "[-‐‑–—―ー−]";
const HYPHENATED = new RegExp(`^${N}${H}${N}(?:${H}${N})?`, "u");
const CHOME = new RegExp(`^${N}丁目`, "u");
const BLOCK = new RegExp(`^${N}(?:番地?|${H}|$)`, "u");
const LOT = new RegExp(`^${N}号?`, "u");

export interface TownName {
  name: string;
  /** 0 when the town has no 丁目. */
  chomeMax: number;
}

/**
 * The structured address of a query, or undefined when no town of the municipality appears in it.
 * The longest town name wins (東向島 over 向島). Hyphenated numbers read as 丁目-番-号, or as 番-号
 * when there are two and the town has no 丁目.
 */
export function parseAddressQuery(query: string, towns: readonly TownName[]): AddressQuery | undefined {
  const q = query.normalize("NFKC").replace(/\s+/gu, "");
  let best: { town: TownName; at: number } | undefined;
  for (const town of towns) {
    const at = q.indexOf(town.name);
    if (at >= 0 && (!best || town.name.length > best.town.name.length)) best = { town, at };
  }
  if (!best) return undefined;
  const result: AddressQuery = { town: best.town.name, complete: false };
  let rest = q.slice(best.at + best.town.name.length);
  const numbers = (m: RegExpExecArray) =>
    m.slice(1).map((x) => (x === undefined ? undefined : parseSmallNumber(x)));

  const hyphenated = HYPHENATED.exec(rest);
  if (hyphenated) {
    const [a, b, c] = numbers(hyphenated);
    if (a === undefined || b === undefined || (hyphenated[3] !== undefined && c === undefined)) return result;
    if (c !== undefined) Object.assign(result, { chome: a, block: b, lot: c });
    else if (best.town.chomeMax > 0) Object.assign(result, { chome: a, block: b });
    else Object.assign(result, { block: a, lot: b });
    rest = rest.slice(hyphenated[0].length);
    rest = rest.replace(/^号/u, "");
  } else {
    const chome = CHOME.exec(rest);
    if (chome) {
      const [c] = numbers(chome);
      if (c === undefined) return result;
      result.chome = c;
      rest = rest.slice(chome[0].length);
    }
    const block = BLOCK.exec(rest);
    if (block) {
      const [b] = numbers(block);
      if (b === undefined) return result;
      result.block = b;
      rest = rest.slice(block[0].length);
      const lot = LOT.exec(rest);
      if (lot) {
        const [l] = numbers(lot);
        if (l === undefined) return result;
        result.lot = l;
        rest = rest.slice(lot[0].length);
      }
    }
  }
  result.complete = rest === "";
  return result;
}

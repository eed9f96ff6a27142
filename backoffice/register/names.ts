/**
 * Name normalisation for search. The register keeps every name exactly as recorded (the 戸籍 or
 * residence-card spelling); these functions only build the comparison key, so a clerk who types
 * 高橋 finds 髙橋 and a resident who types ｽﾐﾀﾞ finds スミダ.
 *
 * Everything iterates by code point (for…of), never by UTF-16 unit, because names may hold
 * characters outside the BMP (𠮷, 𣘺, …) and a split surrogate pair would corrupt the key.
 */

/**
 * Old or variant kanji (旧字・異体字) folded to the form most people type. Only pairs that are
 * well known in names and that nobody would treat as a different name are listed: a wider table
 * makes search return people who are not the same.
 *
 * 齊 goes to 斉 (its 新字体), not to 斎: 齊/斉 and 齋/斎 are two different characters with two
 * different simplified forms, and 斉藤 and 斎藤 are different surnames.
 *
 * Compatibility ideographs that carry a canonical mapping (e.g. U+FA19 神 → 神) are already handled
 * by NFKC; 﨑 (U+FA11) has none, so it is listed here.
 */
export const VARIANT_KANJI: Readonly<Record<string, string>> = {
  髙: "高",
  﨑: "崎",
  嵜: "崎",
  邊: "辺",
  邉: "辺",
  齋: "斎",
  齊: "斉",
  濵: "浜",
  濱: "浜",
  德: "徳",
  澤: "沢",
  櫻: "桜",
  廣: "広",
  國: "国",
  龍: "竜",
  嶋: "島",
  嶌: "島",
  冨: "富",
  𠮷: "吉",
  舘: "館",
  眞: "真",
  惠: "恵",
  榮: "栄",
  圓: "円",
  澁: "渋",
  淺: "浅",
  瀨: "瀬",
  黑: "黒",
  峯: "峰",
  藏: "蔵",
  關: "関",
  寶: "宝",
};

const HIRAGANA_FIRST = 0x3041; // ぁ
const HIRAGANA_LAST = 0x3096; // ゖ (ゔ, ゕ, ゖ included)
const HIRAGANA_ITERATION_FIRST = 0x309d; // ゝ ゞ
const HIRAGANA_ITERATION_LAST = 0x309e;
const KATAKANA_OFFSET = 0x60;

function hiraganaToKatakanaCodePoint(cp: number): number {
  if (
    (cp >= HIRAGANA_FIRST && cp <= HIRAGANA_LAST) ||
    (cp >= HIRAGANA_ITERATION_FIRST && cp <= HIRAGANA_ITERATION_LAST)
  ) {
    return cp + KATAKANA_OFFSET;
  }
  return cp;
}

/**
 * Variation selectors (IVS U+E0100–E01EF, standard U+FE00–FE0F) choose a glyph, not a character:
 * 葛󠄀 and 葛 are the same name for search.
 */
function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

const WHITESPACE = /^\s$/u;

/** Hiragana → katakana, nothing else (no width folding: see normalizeKana). */
export function kanaToKatakana(s: string): string {
  let out = "";
  for (const ch of s) {
    out += String.fromCodePoint(hiraganaToKatakanaCodePoint(ch.codePointAt(0)!));
  }
  return out;
}

function fold(s: string, foldKanji: boolean): string {
  let out = "";
  // NFKC first: it turns half-width katakana into full width and composes ｶﾞ (ｶ + U+FF9E) into ガ,
  // and turns U+3000 and full-width Latin/digits into their ASCII forms.
  for (const ch of s.normalize("NFKC")) {
    const cp = ch.codePointAt(0)!;
    if (isVariationSelector(cp) || WHITESPACE.test(ch)) continue;
    const mapped = foldKanji ? (VARIANT_KANJI[ch] ?? ch) : ch;
    out += String.fromCodePoint(hiraganaToKatakanaCodePoint(mapped.codePointAt(0)!));
  }
  // A spacing ゛ (U+309B) becomes " " + U+3099 under NFKC; once the space is gone, NFC composes
  // the mark with the kana before it (カ゛ → ガ) instead of leaving a stray combining character.
  return out.normalize("NFC");
}

/**
 * Search key for a name: NFKC, no spaces (ASCII or U+3000), kana folded to katakana, variant kanji
 * folded (VARIANT_KANJI), variation selectors dropped, Latin letters upper-cased (residence cards
 * print foreign names in capitals, people type them in any case).
 */
export function normalizeName(s: string): string {
  return fold(s, true).toUpperCase();
}

/** Key for kana fields (フリガナ): full-width katakana, no spaces. */
export function normalizeKana(s: string): string {
  return fold(s, false);
}

/**
 * Rank of a candidate for a query, in [0, 1]:
 * 1 for the same key; (0.6, 0.9) when the candidate starts with the query; (0.3, 0.6) when it
 * contains it elsewhere; 0 otherwise (and for an empty query). The bands do not overlap, so any
 * prefix match outranks any partial match; inside a band, the closer the lengths, the higher.
 */
export function nameMatchScore(query: string, candidate: string): number {
  const q = normalizeName(query);
  const c = normalizeName(candidate);
  if (q === "" || c === "") return 0;
  if (q === c) return 1;
  const coverage = [...q].length / [...c].length;
  if (c.startsWith(q)) return 0.6 + 0.3 * coverage;
  if (c.includes(q)) return 0.3 + 0.3 * coverage;
  return 0;
}

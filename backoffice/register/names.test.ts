import { describe, expect, it } from "vitest";
import { kanaToKatakana, nameMatchScore, normalizeKana, normalizeName, VARIANT_KANJI } from "./names";

describe("normalizeName", () => {
  it("folds variant kanji", () => {
    expect(normalizeName("髙橋")).toBe("高橋");
    expect(normalizeName("山﨑")).toBe("山崎");
    expect(normalizeName("渡邊")).toBe(normalizeName("渡邉"));
    expect(normalizeName("渡邊")).toBe("渡辺");
    expect(normalizeName("齋藤")).toBe("斎藤");
    expect(normalizeName("齊藤")).toBe("斉藤");
    expect(normalizeName("濵田")).toBe("浜田");
    expect(normalizeName("德川")).toBe("徳川");
    expect(normalizeName("澤田")).toBe("沢田");
    expect(normalizeName("櫻井")).toBe("桜井");
    expect(normalizeName("廣田")).toBe("広田");
    expect(normalizeName("國分")).toBe("国分");
    expect(normalizeName("龍一")).toBe("竜一");
    expect(normalizeName("小嶋")).toBe("小島");
    expect(normalizeName("小嶌")).toBe("小島");
    expect(normalizeName("冨田")).toBe("富田");
  });

  it("keeps 斉 and 斎 apart", () => {
    expect(normalizeName("斉藤")).not.toBe(normalizeName("斎藤"));
    expect(normalizeName("齋藤")).not.toBe(normalizeName("齊藤"));
  });

  it("handles characters outside the BMP by code point", () => {
    expect(normalizeName("𠮷田")).toBe("吉田");
    expect(normalizeName("𠮷田 𠮷子")).toBe("吉田吉子");
    // an unmapped non-BMP character survives whole (both surrogates, in order)
    expect(normalizeName("𣘺本")).toBe("𣘺本");
    expect([...normalizeName("𣘺本")]).toHaveLength(2);
  });

  it("folds half-width katakana, dakuten and handakuten included", () => {
    expect(normalizeName("ｶﾞ")).toBe("ガ");
    expect(normalizeName("ﾊﾟﾝ")).toBe("パン");
    expect(normalizeName("ｽﾐﾀﾞ")).toBe("スミダ");
    expect(normalizeName("ｳﾞｨｸﾄﾙ")).toBe("ヴィクトル");
  });

  it("composes a spacing voiced mark once the space it leaves is removed", () => {
    expect(normalizeName("カ゛")).toBe("ガ");
    expect(normalizeName("ハ゜")).toBe("パ");
  });

  it("folds hiragana to katakana", () => {
    expect(normalizeName("すみだ")).toBe("スミダ");
    expect(normalizeName("ゔぁ")).toBe("ヴァ");
    expect(normalizeName("いすゞ")).toBe("イスヾ");
  });

  it("removes ASCII, ideographic and other spaces", () => {
    expect(normalizeName("墨田　太郎")).toBe("墨田太郎");
    expect(normalizeName(" 墨田 太郎 ")).toBe("墨田太郎");
    expect(normalizeName("墨田\t太郎\u00a0")).toBe("墨田太郎");
  });

  it("drops variation selectors", () => {
    expect(normalizeName("葛\u{E0100}西")).toBe("葛西");
    expect(normalizeName("辻\u{E0101}")).toBe("辻");
  });

  it("folds full-width Latin and case", () => {
    expect(normalizeName("ＳＭＩＴＨ　Ｊｏｈｎ")).toBe("SMITHJOHN");
    expect(normalizeName("smith john")).toBe("SMITHJOHN");
  });

  it("returns an empty key for blank input", () => {
    expect(normalizeName("")).toBe("");
    expect(normalizeName("　 ")).toBe("");
  });

  it("maps every table entry to a single standard character that maps to itself", () => {
    for (const [from, to] of Object.entries(VARIANT_KANJI)) {
      expect([...from]).toHaveLength(1);
      expect([...to]).toHaveLength(1);
      expect(normalizeName(from)).toBe(to);
      expect(normalizeName(to)).toBe(to);
    }
  });
});

describe("kanaToKatakana", () => {
  it("converts hiragana only", () => {
    expect(kanaToKatakana("すみだ たろう")).toBe("スミダ タロウ");
    expect(kanaToKatakana("ぁゖゝゞ")).toBe("ァヶヽヾ");
    expect(kanaToKatakana("ｽﾐﾀﾞ")).toBe("ｽﾐﾀﾞ");
    expect(kanaToKatakana("墨田ー𠮷")).toBe("墨田ー𠮷");
  });
});

describe("normalizeKana", () => {
  it("gives full-width katakana without spaces", () => {
    expect(normalizeKana("ｽﾐﾀﾞ ﾀﾛｳ")).toBe("スミダタロウ");
    expect(normalizeKana("すみだ　たろう")).toBe("スミダタロウ");
    expect(normalizeKana("スミダ")).toBe("スミダ");
    expect(normalizeKana("ｰ")).toBe("ー");
  });
});

describe("nameMatchScore", () => {
  it("scores 1 for the same normalised name", () => {
    expect(nameMatchScore("高橋", "髙橋")).toBe(1);
    expect(nameMatchScore("髙橋", "高橋")).toBe(1);
    expect(nameMatchScore("ｽﾐﾀﾞ", "すみだ")).toBe(1);
    expect(nameMatchScore("すみだ", "スミダ")).toBe(1);
    expect(nameMatchScore("ｽﾐﾀﾞ", "スミダ")).toBe(1);
    expect(nameMatchScore("墨田　太郎", "墨田太郎")).toBe(1);
    expect(nameMatchScore("𠮷田", "吉田")).toBe(1);
  });

  it("ranks exact above prefix above partial", () => {
    const exact = nameMatchScore("墨田太郎", "墨田太郎");
    const prefix = nameMatchScore("墨田", "墨田太郎");
    const partial = nameMatchScore("太郎", "墨田太郎");
    expect(exact).toBe(1);
    expect(prefix).toBeGreaterThan(0.6);
    expect(prefix).toBeLessThan(0.9);
    expect(partial).toBeGreaterThan(0.3);
    expect(partial).toBeLessThan(0.6);
  });

  it("puts any prefix match above any partial match", () => {
    const shortPrefix = nameMatchScore("墨", "墨田川太郎左衛門");
    const longPartial = nameMatchScore("田川太郎左衛", "墨田川太郎左衛門");
    expect(shortPrefix).toBeGreaterThan(longPartial);
  });

  it("prefers the candidate the query covers more of", () => {
    expect(nameMatchScore("墨田", "墨田太郎")).toBeGreaterThan(nameMatchScore("墨田", "墨田太郎左衛門"));
  });

  it("counts non-BMP characters once", () => {
    expect(nameMatchScore("𠮷", "𠮷田")).toBeCloseTo(0.6 + 0.3 * 0.5);
    expect(nameMatchScore("吉", "𠮷田")).toBeCloseTo(0.75);
  });

  it("scores 0 for no match and for an empty query", () => {
    expect(nameMatchScore("台東", "墨田太郎")).toBe(0);
    expect(nameMatchScore("墨田太郎次郎", "墨田太郎")).toBe(0);
    expect(nameMatchScore("", "墨田太郎")).toBe(0);
    expect(nameMatchScore("　", "墨田太郎")).toBe(0);
    expect(nameMatchScore("墨田", "")).toBe(0);
  });

  it("stays within [0, 1]", () => {
    const names = ["墨田太郎", "髙橋花子", "スミダ", "𠮷田", "ｽﾐﾀﾞﾀﾛｳ", "a", ""];
    for (const q of names) {
      for (const c of names) {
        const score = nameMatchScore(q, c);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
    }
  });
});

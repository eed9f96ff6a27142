import { describe, expect, it } from "vitest";
import { toWareki, toWarekiParts } from "./wareki";

describe("toWareki", () => {
  it.each([
    ["2026-11-26", "令和8年11月26日"],
    ["2019-05-01", "令和元年5月1日"],
    ["2019-04-30", "平成31年4月30日"],
    ["2020-01-01", "令和2年1月1日"],
    ["2019-12-31", "令和元年12月31日"],
    ["1989-01-08", "平成元年1月8日"],
    ["1989-01-07", "昭和64年1月7日"],
    ["1990-01-01", "平成2年1月1日"],
    ["1926-12-25", "昭和元年12月25日"],
    ["1926-12-24", "大正15年12月24日"],
    ["1927-01-01", "昭和2年1月1日"],
    ["1912-07-30", "大正元年7月30日"],
    ["1912-07-29", "明治45年7月29日"],
    ["1868-01-25", "明治元年1月25日"],
    ["1985-04-12", "昭和60年4月12日"],
    ["2000-02-29", "平成12年2月29日"],
  ])("%s → %s", (iso, expected) => {
    expect(toWareki(iso)).toBe(expected);
  });

  it("refuses dates before 明治", () => {
    expect(() => toWareki("1868-01-24")).toThrow(RangeError);
    expect(() => toWareki("1800-01-01")).toThrow(/明治より前/);
  });

  it("refuses malformed or impossible dates", () => {
    for (const bad of ["2026-2-1", "2026/02/01", "2026-02-30", "2025-02-29", "2026-13-01", "", "令和8年"]) {
      expect(() => toWareki(bad)).toThrow(RangeError);
    }
  });

  it("gives the parts for forms", () => {
    expect(toWarekiParts("1989-01-07")).toEqual({ era: "昭和", year: 64, month: 1, day: 7 });
    expect(toWarekiParts("2026-11-26")).toEqual({ era: "令和", year: 8, month: 11, day: 26 });
  });
});

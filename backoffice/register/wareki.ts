/**
 * Dates in the Japanese era (和暦), as certificates print them (DOMAIN.md "Certificates").
 */
import { type IsoDate, parseIsoDate } from "./time-rules";

export type EraName = "明治" | "大正" | "昭和" | "平成" | "令和";

/**
 * First day of each era, newest first. Assumption: 明治 starts on 1868-01-25, the Gregorian date
 * of 慶応4年1月1日, because the 改元 of 1868-10-23 applied retroactively to the start of that year.
 * Japan used the lunisolar calendar until 明治5年12月2日 (1872-12-31), so for dates before
 * 1873-01-01 this prints the Gregorian month and day, not the lunisolar one of the time; dates
 * before 明治 are refused.
 */
export const ERAS: readonly { name: EraName; start: IsoDate }[] = [
  { name: "令和", start: "2019-05-01" },
  { name: "平成", start: "1989-01-08" },
  { name: "昭和", start: "1926-12-25" },
  { name: "大正", start: "1912-07-30" },
  { name: "明治", start: "1868-01-25" },
];

export interface WarekiDate {
  era: EraName;
  /** Year of the era; 1 is printed 元年. */
  year: number;
  month: number;
  day: number;
}

export function toWarekiParts(date: IsoDate): WarekiDate {
  const { year, month, day } = parseIsoDate(date);
  // ISO dates compare correctly as strings once parseIsoDate has checked their form.
  const era = ERAS.find((e) => date >= e.start);
  if (!era) throw new RangeError(`和暦に変換できない日付です（明治より前）: ${date}`);
  return { era: era.name, year: year - Number(era.start.slice(0, 4)) + 1, month, day };
}

/** "2026-11-26" → "令和8年11月26日"; the first year of an era is 元年 (令和元年5月1日). */
export function toWareki(date: IsoDate): string {
  const w = toWarekiParts(date);
  return `${w.era}${w.year === 1 ? "元" : String(w.year)}年${w.month}月${w.day}日`;
}

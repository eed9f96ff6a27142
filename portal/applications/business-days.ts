import { addDays, dayOfWeek, type IsoDate, parseIsoDate } from "../../backoffice/register/time-rules.js";

/**
 * Counter days (来庁予定日). Counters are open on business days only: no Saturday or Sunday, no
 * national holiday, and not 12/29–1/3 (年末年始, closed by 条例 in every municipality — this
 * project's assumption). The holiday calendar is passed in: the server reads the maintained
 * dataset (@holiday-jp/holiday_jp), the browser gets the few dates it needs from the loader.
 */
export type HolidayCheck = (date: IsoDate) => boolean;

export function isYearEndClosure(date: IsoDate): boolean {
  const { month, day } = parseIsoDate(date);
  return (month === 12 && day >= 29) || (month === 1 && day <= 3);
}

export function isBusinessDay(date: IsoDate, isHoliday: HolidayCheck): boolean {
  const dow = dayOfWeek(date);
  return dow !== 0 && dow !== 6 && !isYearEndClosure(date) && !isHoliday(date);
}

/** Why a day is not a business day, for the message next to the field. */
export function closedReason(
  date: IsoDate,
  isHoliday: HolidayCheck,
): "weekend" | "holiday" | "yearEnd" | undefined {
  const dow = dayOfWeek(date);
  if (dow === 0 || dow === 6) return "weekend";
  if (isHoliday(date)) return "holiday";
  if (isYearEndClosure(date)) return "yearEnd";
  return undefined;
}

/** The first business day on or after `date`. */
export function firstBusinessDayFrom(date: IsoDate, isHoliday: HolidayCheck): IsoDate {
  let d = date;
  for (let i = 0; i < 366; i++) {
    if (isBusinessDay(d, isHoliday)) return d;
    d = addDays(d, 1);
  }
  throw new RangeError(`no business day within a year after ${date}`);
}

/** Every business day from `from` to `to`, both included. */
export function businessDaysBetween(from: IsoDate, to: IsoDate, isHoliday: HolidayCheck): IsoDate[] {
  const days: IsoDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isBusinessDay(d, isHoliday)) days.push(d);
  return days;
}

/** A holiday check over a list of dates (what the browser receives from the loader). */
export function holidaySet(dates: readonly IsoDate[]): HolidayCheck {
  const set = new Set(dates);
  return (date) => set.has(date);
}

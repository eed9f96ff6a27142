import holidayJp from "@holiday-jp/holiday_jp";
import { addDays, type IsoDate } from "../../backoffice/register/time-rules.js";
import type { HolidayCheck } from "./business-days.js";

const holidays: Record<string, unknown> = holidayJp.holidays;

/** National holidays (国民の祝日, 振替休日, 国民の休日) from the maintained dataset. */
export const isNationalHoliday: HolidayCheck = (date) => Object.hasOwn(holidays, date);

/** The holidays from `from` for `days` days, for the browser's copy of the calendar. */
export function holidaysFrom(from: IsoDate, days: number): IsoDate[] {
  const list: IsoDate[] = [];
  for (let i = 0; i <= days; i++) {
    const d = addDays(from, i);
    if (isNationalHoliday(d)) list.push(d);
  }
  return list;
}

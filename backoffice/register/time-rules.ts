/**
 * Time rules of the register over calendar dates (ISO YYYY-MM-DD strings, no time zone). Nothing
 * here reads the clock: the caller passes `today`, so every rule can be tested on any day.
 *
 * Day counting: a period of N days "from" an event does not count the day of the event
 * (初日不算入, 民法第140条) and ends at the end of its last day (民法第141条). So a 14-day
 * period after moving on 4/1 starts on 4/2 and its last day is 4/15 = 4/1 + 14.
 */

/** A calendar date as "YYYY-MM-DD" (years 0001–9999). */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Year, month and day of an ISO date; throws RangeError for a malformed or impossible date. */
export function parseIsoDate(date: IsoDate): { year: number; month: number; day: number } {
  const match = typeof date === "string" ? ISO_DATE.exec(date) : null;
  if (match) {
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    if (year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)) {
      return { year, month, day };
    }
  }
  throw new RangeError(`Not a calendar date in YYYY-MM-DD form: ${JSON.stringify(date)}`);
}

export function isIsoDate(s: string): boolean {
  try {
    parseIsoDate(s);
    return true;
  } catch {
    return false;
  }
}

// Proleptic Gregorian day numbers by integer arithmetic (H. Hinnant's days_from_civil), so that
// neither the host time zone nor Date's two-digit-year quirk can shift a date.
function toDayNumber(date: IsoDate): number {
  const { year, month, day } = parseIsoDate(date);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function fromDayNumber(n: number): IsoDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1 || year > 9999) throw new RangeError(`Date out of range: year ${year}`);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  if (!Number.isInteger(days)) throw new RangeError(`addDays: not a whole number of days: ${days}`);
  return fromDayNumber(toDayNumber(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  // Day 0 of the day numbers is 1970-01-01, a Thursday.
  return (((toDayNumber(date) + 4) % 7) + 7) % 7;
}

function minDate(a: IsoDate, b: IsoDate): IsoDate {
  return toDayNumber(a) <= toDayNumber(b) ? a : b;
}

// ---------------------------------------------------------------------------------------------
// 届出期間 (住基法 第22条 転入, 第23条 転居, 第24条 転出)

export type MoveNotificationKind = "moveIn" | "specialMoveIn" | "relocation" | "moveOut";

/** 転入届・転居届: within 14 days of moving; 転出届: in advance or within 14 days of leaving. */
export const NOTIFICATION_PERIOD_DAYS = 14;

export interface DeadlineOptions {
  /**
   * Days the municipal office is closed (weekends, national holidays, 年末年始 by 条例). When the
   * last day of a filing period falls on one, the period runs to the next open day (地方自治法
   * 第4条の2第4項). Without it, no day is treated as closed: the holiday dataset lives outside
   * this pure module.
   */
  isClosedDay?: (date: IsoDate) => boolean;
}

function extendPastClosedDays(date: IsoDate, options?: DeadlineOptions): IsoDate {
  const isClosed = options?.isClosedDay;
  if (!isClosed) return date;
  let d = date;
  // A year of closed days can only be a broken calendar; fail loudly rather than loop forever.
  for (let i = 0; i < 366; i++) {
    if (!isClosed(d)) return d;
    d = addDays(d, 1);
  }
  throw new RangeError(`isClosedDay: no open day within a year after ${date}`);
}

/**
 * Last day on which a 転入・転居・転出 notification is on time, for a move on `effectiveDate` (the
 * day of moving in, or the day of leaving for 転出).
 */
export function notificationDeadline(effectiveDate: IsoDate, options?: DeadlineOptions): IsoDate {
  return extendPastClosedDays(addDays(effectiveDate, NOTIFICATION_PERIOD_DAYS), options);
}

export type NotificationTiming = "early" | "onTime" | "late";

/**
 * "early" is a 転入届 or 転居届 filed before the move itself: the law counts from the day one
 * starts living at the address, so such a filing cannot be accepted yet (a 転入予約 only announces
 * a visit). A 転出届 is never early: filing in advance is the normal case.
 */
export function notificationTiming(
  kind: MoveNotificationKind,
  effectiveDate: IsoDate,
  notifiedOn: IsoDate,
  options?: DeadlineOptions,
): NotificationTiming {
  if (kind !== "moveOut" && daysBetween(effectiveDate, notifiedOn) < 0) return "early";
  return daysBetween(notificationDeadline(effectiveDate, options), notifiedOn) > 0 ? "late" : "onTime";
}

/** True when the notification came after its period (届出期間経過: a 簡易裁判所 notice may follow). */
export function isLateNotification(
  kind: MoveNotificationKind,
  effectiveDate: IsoDate,
  notifiedOn: IsoDate,
  options?: DeadlineOptions,
): boolean {
  return notificationTiming(kind, effectiveDate, notifiedOn, options) === "late";
}

// ---------------------------------------------------------------------------------------------
// Online 転出届 (マイナポータル) and 特例転入

/** The online 転出届 opens 30 days before the planned move-out date. */
export const ONLINE_MOVE_OUT_DAYS_BEFORE = 30;
/**
 * …and closes 10 days after it (municipal guidance, e.g. 渋川市・美里町: 「異動した日後10日以内」),
 * leaving the origin time to process it before the 14-day 特例転入 limit at the destination.
 */
export const ONLINE_MOVE_OUT_DAYS_AFTER = 10;

export function onlineMoveOutWindowOpen(plannedMoveOutDate: IsoDate, today: IsoDate): boolean {
  const offset = daysBetween(plannedMoveOutDate, today);
  return offset >= -ONLINE_MOVE_OUT_DAYS_BEFORE && offset <= ONLINE_MOVE_OUT_DAYS_AFTER;
}

/**
 * Last day a 特例転入 (move-in with the card, no paper 転出証明書) can be processed: within 14
 * days of moving in and within 30 days of the planned move-out date, whichever ends first. This
 * is a condition on the move-out certificate information, not a filing period, so closed days
 * do not extend it.
 */
export function specialMoveInDeadline(input: { movedInOn: IsoDate; plannedMoveOutDate: IsoDate }): IsoDate {
  return minDate(addDays(input.movedInOn, 14), addDays(input.plannedMoveOutDate, 30));
}

/** The card's 継続利用 must be processed within 90 days of the 転入届, or the card loses effect. */
export function cardContinuedUseDeadline(moveInNotifiedOn: IsoDate): IsoDate {
  return addDays(moveInNotifiedOn, 90);
}

// ---------------------------------------------------------------------------------------------
// Age

function assertBornBy(birthDate: IsoDate, date: IsoDate): void {
  if (daysBetween(birthDate, date) < 0) {
    throw new RangeError(`Date ${date} is before the birth date ${birthDate}`);
  }
}

/**
 * Whole years completed at the start of `date`: the age goes up on the birthday itself, and for
 * someone born on 2/29, on 3/1 in common years.
 */
export function completedYearsOn(birthDate: IsoDate, date: IsoDate): number {
  assertBornBy(birthDate, date);
  const b = parseIsoDate(birthDate);
  const d = parseIsoDate(date);
  const beforeBirthday = d.month < b.month || (d.month === b.month && d.day < b.day);
  return d.year - b.year - (beforeBirthday ? 1 : 0);
}

/**
 * Legal age on `date`. 年齢計算ニ関スル法律 counts from the day of birth (so the birth day is
 * counted, an exception to 初日不算入) and 民法第143条 ends each year at the end of the day before
 * the birthday: one "attains" an age on the day before the birthday. (A child born on 4/1
 * attains 6 on 3/31, is already 6 when the school year starts on 4/1, and so starts school a
 * year before a child born on 4/2.) Someone born on 2/29 attains it on 2/28 in common years.
 */
export function ageOn(birthDate: IsoDate, date: IsoDate): number {
  assertBornBy(birthDate, date);
  return completedYearsOn(birthDate, addDays(date, 1));
}

/** Minimum age for the 署名用電子証明書, without which the online 転出届 cannot be signed. */
export const SIGNING_CERTIFICATE_MIN_AGE = 15;

/**
 * True when a person is old enough to sign online today. Uses completed years, not ageOn: the
 * legal age is reached only at the very end of the day before the birthday, so during that day
 * the person is still under 15; from the birthday on, 15 holds for the whole day.
 */
export function canSignOnline(birthDate: IsoDate, today: IsoDate): boolean {
  return completedYearsOn(birthDate, today) >= SIGNING_CERTIFICATE_MIN_AGE;
}

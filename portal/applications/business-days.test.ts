import { describe, expect, it } from "vitest";
import {
  businessDaysBetween,
  closedReason,
  firstBusinessDayFrom,
  holidaySet,
  isBusinessDay,
} from "./business-days.js";
import { holidaysFrom, isNationalHoliday } from "./holidays.server.js";

describe("business days for 来庁予定日", () => {
  it("no weekends, no national holidays (from the maintained dataset), not 年末年始", () => {
    expect(isBusinessDay("2026-11-27", isNationalHoliday)).toBe(true); // Friday
    expect(closedReason("2026-11-28", isNationalHoliday)).toBe("weekend"); // Saturday
    expect(closedReason("2026-11-23", isNationalHoliday)).toBe("holiday"); // 勤労感謝の日 (Monday)
    expect(closedReason("2026-05-06", isNationalHoliday)).toBe("holiday"); // 振替休日
    expect(closedReason("2026-12-29", isNationalHoliday)).toBe("yearEnd");
    expect(closedReason("2027-01-04", isNationalHoliday)).toBeUndefined();
    expect(firstBusinessDayFrom("2026-12-26", isNationalHoliday)).toBe("2026-12-28");
    expect(firstBusinessDayFrom("2026-12-29", isNationalHoliday)).toBe("2027-01-04");
  });

  it("works the same in the browser from the loader's short list of holidays", () => {
    const browser = holidaySet(holidaysFrom("2026-11-01", 90));
    expect(holidaysFrom("2026-11-01", 90)).toEqual(["2026-11-03", "2026-11-23", "2027-01-01", "2027-01-11"]);
    expect(businessDaysBetween("2026-11-01", "2027-01-30", browser)).toEqual(
      businessDaysBetween("2026-11-01", "2027-01-30", isNationalHoliday),
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  addDays,
  ageOn,
  canSignOnline,
  cardContinuedUseDeadline,
  completedYearsOn,
  dayOfWeek,
  daysBetween,
  isIsoDate,
  isLateNotification,
  notificationDeadline,
  notificationTiming,
  onlineMoveOutWindowOpen,
  parseIsoDate,
  specialMoveInDeadline,
} from "./time-rules";

describe("date arithmetic", () => {
  it("adds days across month, year and leap-day boundaries", () => {
    expect(addDays("2026-04-01", 14)).toBe("2026-04-15");
    expect(addDays("2026-12-25", 14)).toBe("2027-01-08");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2025-02-28", 1)).toBe("2025-03-01");
    expect(addDays("2000-02-28", 1)).toBe("2000-02-29");
    expect(addDays("1900-02-28", 1)).toBe("1900-03-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("0001-01-01", 0)).toBe("0001-01-01");
    expect(addDays("0099-12-31", 1)).toBe("0100-01-01");
  });

  it("counts days between dates", () => {
    expect(daysBetween("2026-01-01", "2027-01-01")).toBe(365);
    expect(daysBetween("2024-01-01", "2025-01-01")).toBe(366);
    expect(daysBetween("2026-04-15", "2026-04-01")).toBe(-14);
    expect(daysBetween("1970-01-01", "1970-01-01")).toBe(0);
  });

  it("knows the day of the week", () => {
    expect(dayOfWeek("1970-01-01")).toBe(4);
    expect(dayOfWeek("2026-11-26")).toBe(4);
    expect(dayOfWeek("1969-12-28")).toBe(0);
    expect(dayOfWeek("2026-11-28")).toBe(6);
  });

  it("validates ISO dates", () => {
    expect(parseIsoDate("2024-02-29")).toEqual({ year: 2024, month: 2, day: 29 });
    for (const bad of [
      "2025-02-29",
      "2026-04-31",
      "2026-00-10",
      "2026-1-1",
      "26-01-01",
      "0000-01-01",
      "2026-01-01T00:00",
    ]) {
      expect(isIsoDate(bad)).toBe(false);
      expect(() => addDays(bad, 1)).toThrow(RangeError);
    }
    expect(() => addDays("2026-01-01", 0.5)).toThrow(RangeError);
    expect(() => addDays("9999-12-31", 1)).toThrow(RangeError);
  });
});

describe("届出期間 (14 days, 初日不算入)", () => {
  it("ends 14 days after the day of moving", () => {
    expect(notificationDeadline("2026-04-01")).toBe("2026-04-15");
  });

  it.each(["moveIn", "specialMoveIn", "relocation", "moveOut"] as const)(
    "%s: day 14 is on time, day 15 late",
    (kind) => {
      expect(isLateNotification(kind, "2026-04-01", "2026-04-01")).toBe(false);
      expect(isLateNotification(kind, "2026-04-01", "2026-04-15")).toBe(false);
      expect(isLateNotification(kind, "2026-04-01", "2026-04-16")).toBe(true);
    },
  );

  it("accepts a 転出届 in advance but not a 転入届 or 転居届", () => {
    expect(notificationTiming("moveOut", "2026-04-01", "2026-03-01")).toBe("onTime");
    expect(isLateNotification("moveOut", "2026-04-01", "2026-03-01")).toBe(false);
    expect(notificationTiming("moveIn", "2026-04-01", "2026-03-31")).toBe("early");
    expect(notificationTiming("relocation", "2026-04-01", "2026-03-31")).toBe("early");
    expect(notificationTiming("specialMoveIn", "2026-04-01", "2026-03-31")).toBe("early");
    expect(isLateNotification("moveIn", "2026-04-01", "2026-03-31")).toBe(false);
    expect(notificationTiming("moveIn", "2026-04-01", "2026-04-16")).toBe("late");
  });

  it("runs to the next open day when the last day is a closed day", () => {
    // 2026-04-01 + 14 = 2026-04-15 (Wed). Moving on 2026-04-04 ends on Sat 04-18 → Mon 04-20.
    const weekend = (d: string) => dayOfWeek(d) === 0 || dayOfWeek(d) === 6;
    expect(notificationDeadline("2026-04-04", { isClosedDay: weekend })).toBe("2026-04-20");
    expect(isLateNotification("moveIn", "2026-04-04", "2026-04-20", { isClosedDay: weekend })).toBe(false);
    expect(isLateNotification("moveIn", "2026-04-04", "2026-04-21", { isClosedDay: weekend })).toBe(true);
    expect(isLateNotification("moveIn", "2026-04-04", "2026-04-20")).toBe(true);
    expect(notificationDeadline("2026-04-01", { isClosedDay: weekend })).toBe("2026-04-15");
    // 年末年始: a period ending on 12/29 runs to the first open day after 1/3.
    const newYear = (d: string) => weekend(d) || d.slice(5) >= "12-29" || d.slice(5) <= "01-03";
    expect(notificationDeadline("2026-12-15", { isClosedDay: newYear })).toBe("2027-01-04");
  });

  it("fails on a calendar with no open day", () => {
    expect(() => notificationDeadline("2026-04-01", { isClosedDay: () => true })).toThrow(RangeError);
  });
});

describe("online 転出届 window", () => {
  const planned = "2026-05-01";
  it.each([
    ["2026-03-31", false],
    ["2026-04-01", true], // 30 days before
    ["2026-04-30", true],
    ["2026-05-01", true],
    ["2026-05-11", true], // 10 days after
    ["2026-05-12", false],
  ])("on %s: %s", (today, open) => {
    expect(onlineMoveOutWindowOpen(planned, today)).toBe(open);
  });
});

describe("特例転入 deadline", () => {
  it("is 14 days after moving in when that comes first", () => {
    expect(specialMoveInDeadline({ movedInOn: "2026-04-01", plannedMoveOutDate: "2026-03-31" })).toBe(
      "2026-04-15",
    );
  });

  it("is 30 days after the planned move-out when that comes first", () => {
    expect(specialMoveInDeadline({ movedInOn: "2026-04-25", plannedMoveOutDate: "2026-04-01" })).toBe(
      "2026-05-01",
    );
  });

  it("handles equal limits", () => {
    expect(specialMoveInDeadline({ movedInOn: "2026-04-17", plannedMoveOutDate: "2026-04-01" })).toBe(
      "2026-05-01",
    );
  });
});

describe("card 継続利用 deadline", () => {
  it("is 90 days after the 転入届", () => {
    expect(cardContinuedUseDeadline("2026-04-01")).toBe("2026-06-30");
    expect(cardContinuedUseDeadline("2026-12-01")).toBe("2027-03-01");
  });
});

describe("age", () => {
  it("completed years go up on the birthday", () => {
    expect(completedYearsOn("2011-06-10", "2026-06-09")).toBe(14);
    expect(completedYearsOn("2011-06-10", "2026-06-10")).toBe(15);
    expect(completedYearsOn("2026-06-10", "2026-06-10")).toBe(0);
  });

  it("legal age is attained on the day before the birthday", () => {
    expect(ageOn("2011-06-10", "2026-06-08")).toBe(14);
    expect(ageOn("2011-06-10", "2026-06-09")).toBe(15);
    expect(ageOn("2011-06-10", "2026-06-10")).toBe(15);
    // a child born on 4/1 is 6 on 3/31, a child born on 4/2 only on 4/1
    expect(ageOn("2020-04-01", "2026-03-31")).toBe(6);
    expect(ageOn("2020-04-02", "2026-03-31")).toBe(5);
    expect(ageOn("2026-06-10", "2026-06-10")).toBe(0);
  });

  it("handles a 2/29 birthday", () => {
    expect(completedYearsOn("2008-02-29", "2023-02-28")).toBe(14);
    expect(completedYearsOn("2008-02-29", "2023-03-01")).toBe(15);
    expect(ageOn("2008-02-29", "2023-02-27")).toBe(14);
    expect(ageOn("2008-02-29", "2023-02-28")).toBe(15);
    expect(ageOn("2008-02-29", "2024-02-28")).toBe(16);
    expect(completedYearsOn("2008-02-29", "2024-02-29")).toBe(16);
  });

  it("refuses a date before the birth", () => {
    expect(() => ageOn("2026-06-10", "2026-06-09")).toThrow(RangeError);
    expect(() => completedYearsOn("2026-06-10", "2026-06-09")).toThrow(RangeError);
  });
});

describe("canSignOnline", () => {
  it("is true from the 15th birthday, not from the day before", () => {
    expect(canSignOnline("2011-06-10", "2026-06-08")).toBe(false);
    expect(canSignOnline("2011-06-10", "2026-06-09")).toBe(false);
    expect(canSignOnline("2011-06-10", "2026-06-10")).toBe(true);
    expect(canSignOnline("1985-04-12", "2026-11-26")).toBe(true);
    expect(canSignOnline("2020-01-01", "2026-11-26")).toBe(false);
  });
});

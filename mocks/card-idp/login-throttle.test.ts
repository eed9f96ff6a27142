import { describe, expect, it } from "vitest";
import { LoginThrottle } from "./login-throttle.js";

describe("staff login throttle", () => {
  it("locks an id after five wrong passwords in a row, for fifteen minutes; others are not affected", () => {
    let t = Date.parse("2026-11-26T00:00:00Z");
    const throttle = new LoginThrottle(() => new Date(t));
    for (let i = 0; i < 4; i++) throttle.failed("sumida-clerk");
    expect(throttle.locked("sumida-clerk")).toEqual({ locked: false });
    throttle.failed("sumida-clerk");
    expect(throttle.locked("sumida-clerk")).toEqual({ locked: true, minutesLeft: 15 });
    expect(throttle.locked("taito-clerk")).toEqual({ locked: false });
    t += 14 * 60_000 + 1;
    expect(throttle.locked("sumida-clerk")).toEqual({ locked: true, minutesLeft: 1 });
    t += 60_000;
    expect(throttle.locked("sumida-clerk")).toEqual({ locked: false });
    // After the lock, a new count: one more failure does not lock again.
    throttle.failed("sumida-clerk");
    expect(throttle.locked("sumida-clerk")).toEqual({ locked: false });
  });

  it("a successful login clears the count", () => {
    const throttle = new LoginThrottle(() => new Date(0));
    for (let i = 0; i < 4; i++) throttle.failed("a");
    throttle.succeeded("a");
    for (let i = 0; i < 4; i++) throttle.failed("a");
    expect(throttle.locked("a")).toEqual({ locked: false });
  });

  it("tracks a bounded number of ids, forgetting the least recently used", () => {
    const throttle = new LoginThrottle(() => new Date(0), 2, 60_000, 3);
    throttle.failed("a");
    throttle.failed("b");
    throttle.failed("c");
    throttle.failed("a"); // a is locked and now the most recent
    throttle.failed("d"); // b is forgotten
    expect(throttle.locked("a").locked).toBe(true);
    throttle.failed("b");
    expect(throttle.locked("b").locked).toBe(false); // its first failure counted anew
  });
});

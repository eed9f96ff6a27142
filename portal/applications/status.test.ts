import { describe, expect, it } from "vitest";
import { canCancel, canTransition, IllegalTransitionError, isFinal, transition } from "./status.js";

describe("application status", () => {
  it("follows 受付済み → 転出受理 → 来庁待ち → 完了, and may skip 転出受理 (転居)", () => {
    expect(transition("received", "moveOutAccepted", "backoffice")).toBe("moveOutAccepted");
    expect(transition("moveOutAccepted", "awaitingVisit", "backoffice")).toBe("awaitingVisit");
    expect(transition("awaitingVisit", "completed", "backoffice")).toBe("completed");
    expect(canTransition("received", "awaitingVisit", "backoffice")).toBe(true);
  });

  it("never goes backwards or leaves a final state", () => {
    expect(canTransition("completed", "received", "backoffice")).toBe(false);
    expect(canTransition("awaitingVisit", "moveOutAccepted", "backoffice")).toBe(false);
    expect(canTransition("cancelled", "awaitingVisit", "backoffice")).toBe(false);
    // A 取消 that reached the destination after the counter completed the move is refused there.
    expect(canTransition("cancelled", "completed", "backoffice")).toBe(true);
    expect(canTransition("completed", "cancelled", "backoffice")).toBe(false);
    expect(() => transition("completed", "received", "backoffice")).toThrow(IllegalTransitionError);
    for (const s of ["returned", "completed", "cancelled", "expired"] as const) expect(isFinal(s)).toBe(true);
  });

  it("lets the resident cancel until the counter has completed it, and only the resident submit", () => {
    expect(canCancel("received")).toBe(true);
    expect(canCancel("moveOutAccepted")).toBe(true);
    expect(canCancel("awaitingVisit")).toBe(true);
    expect(canCancel("completed")).toBe(false);
    expect(canCancel("cancelled")).toBe(false);
    expect(canCancel("draft")).toBe(false);
    expect(canTransition("draft", "received", "backoffice")).toBe(false);
    expect(canTransition("received", "completed", "resident")).toBe(false);
  });
});

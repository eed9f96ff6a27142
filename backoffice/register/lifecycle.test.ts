import { describe, expect, it } from "vitest";
import {
  allowedChanges,
  CHANGE_KINDS,
  type ChangeKind,
  CREATION_CHANGES,
  changeKindLabel,
  IllegalTransitionError,
  LIFECYCLE_STATES,
  type LifecycleState,
  REMOVAL_REASONS,
  type RecordStatus,
  stateLabel,
  statusLabel,
  transition,
} from "./lifecycle";

const none = { state: "none" } as const;
const active = { state: "active" } as const;
const scheduled = { state: "moveOutScheduled" } as const;
const removed = (removalReason: (typeof REMOVAL_REASONS)[number]): RecordStatus => ({
  state: "removed",
  removalReason,
});

type Ordinary = Exclude<ChangeKind, "changeCancellation">;

// Written out by hand, independently of TRANSITIONS, so that a slip in the table shows up here.
const expected: Record<LifecycleState, Partial<Record<Ordinary, RecordStatus>>> = {
  none: { moveIn: active, specialMoveIn: active, birth: active, immigration: active, exOfficioEntry: active },
  active: {
    moveOut: scheduled,
    relocation: active,
    householdChange: active,
    death: removed("deceased"),
    emigration: removed("emigrated"),
    exOfficioRemoval: removed("exOfficioRemoved"),
    exOfficioCorrection: active,
  },
  moveOutScheduled: {
    moveOutConfirm: removed("movedOut"),
    moveOutCancel: active,
    death: removed("deceased"),
    exOfficioRemoval: removed("exOfficioRemoved"),
    exOfficioCorrection: scheduled,
  },
  removed: {},
};

const cancellable: Record<LifecycleState, boolean> = {
  none: false,
  active: true,
  moveOutScheduled: true,
  removed: true,
};

function expectedAllowed(state: LifecycleState): ChangeKind[] {
  return CHANGE_KINDS.filter((k) =>
    k === "changeCancellation" ? cancellable[state] : expected[state][k as Ordinary] !== undefined,
  );
}

const ordinaryKinds = CHANGE_KINDS.filter((k): k is Ordinary => k !== "changeCancellation");

describe("every state × every ordinary change", () => {
  const cases = LIFECYCLE_STATES.flatMap((state) => ordinaryKinds.map((kind) => [state, kind] as const));

  it.each(cases)("%s + %s", (state, kind) => {
    const next = expected[state][kind];
    if (next) {
      expect(transition(state, kind)).toEqual(next);
      return;
    }
    let error: unknown;
    try {
      transition(state, kind);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const illegal = error as IllegalTransitionError;
    expect(illegal.currentState).toBe(state);
    expect(illegal.change).toBe(kind);
    expect(illegal.allowed).toEqual(expectedAllowed(state));
    expect(illegal.message).toContain(`現在の状態（${stateLabel[state]}）`);
    expect(illegal.message).toContain(` ${changeKindLabel[kind]} はできません`);
    for (const k of illegal.allowed) expect(illegal.message).toContain(changeKindLabel[k]);
  });
});

describe("allowedChanges", () => {
  it.each(LIFECYCLE_STATES)("%s", (state) => {
    expect(allowedChanges(state)).toEqual(expectedAllowed(state));
  });

  it("allows creation changes only from none", () => {
    expect(allowedChanges("none")).toEqual([...CREATION_CHANGES].sort(byKindOrder));
    for (const state of LIFECYCLE_STATES.filter((s) => s !== "none")) {
      for (const kind of CREATION_CHANGES) expect(allowedChanges(state)).not.toContain(kind);
    }
  });

  it("accepts a status object as well as a state", () => {
    expect(allowedChanges(removed("deceased"))).toEqual(["changeCancellation"]);
  });
});

function byKindOrder(a: ChangeKind, b: ChangeKind): number {
  return CHANGE_KINDS.indexOf(a) - CHANGE_KINDS.indexOf(b);
}

describe("error message", () => {
  it("names the state and the allowed changes in Japanese", () => {
    expect(() => transition("moveOutScheduled", "relocation")).toThrow(
      "現在の状態（転出予定）では 転居 はできません。可能な異動: 転出確定, 転出取消, 死亡, 職権消除, 職権修正, 異動取消",
    );
    expect(() => transition(removed("deceased"), "relocation")).toThrow(
      "現在の状態（除票（死亡））では 転居 はできません。可能な異動: 異動取消",
    );
    expect(() => transition("none", "death")).toThrow(
      "現在の状態（未記載）では 死亡 はできません。可能な異動: 転入, 特例転入, 出生, 国外からの転入, 職権記載",
    );
  });

  it("is an Error with a name for logs", () => {
    const e = new IllegalTransitionError("active", "moveOutConfirm");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("IllegalTransitionError");
  });
});

describe("changeCancellation (異動取消)", () => {
  it("is refused when there is no record", () => {
    expect(() => transition("none", "changeCancellation", active)).toThrow(IllegalTransitionError);
  });

  it.each([
    ["a 転居", active, active],
    ["a 転入 (back to no record)", active, none],
    ["a 職権修正 while scheduled", scheduled, scheduled],
    ["a 転出 (back to active)", scheduled, active],
    ["a 転出確定", removed("movedOut"), scheduled],
    ["a 死亡 recorded while active", removed("deceased"), active],
    ["a 死亡 recorded while scheduled", removed("deceased"), scheduled],
    ["a 国外転出", removed("emigrated"), active],
    ["a 職権消除 while scheduled", removed("exOfficioRemoved"), scheduled],
  ] as const)("restores the previous status after %s", (_, current, previous) => {
    expect(transition(current, "changeCancellation", previous)).toEqual(previous);
  });

  it.each([
    ["a 転出確定 cannot come from active", removed("movedOut"), active],
    ["a 国外転出 cannot come from scheduled", removed("emigrated"), scheduled],
    ["nothing leads from none to scheduled", scheduled, none],
    ["nothing leads from a 除票 to active", active, removed("movedOut")],
    ["a removed record cannot come from none", removed("deceased"), none],
  ] as const)("refuses an implausible previous status: %s", (_, current, previous) => {
    expect(() => transition(current, "changeCancellation", previous)).toThrow(/異動取消で戻す状態/);
  });

  it("checks only the state when the current removal reason is unknown", () => {
    expect(transition("removed", "changeCancellation", active)).toEqual(active);
    expect(() => transition("removed", "changeCancellation", none)).toThrow(IllegalTransitionError);
  });

  it("needs the previous status", () => {
    // A caller without types (e.g. a change row read from the database) can still omit it.
    const untyped = transition as (s: LifecycleState, c: ChangeKind) => RecordStatus;
    expect(() => untyped("active", "changeCancellation")).toThrow(TypeError);
  });

  it("returns a copy, not the caller's object", () => {
    const previous: RecordStatus = { state: "active" };
    const next = transition("active", "changeCancellation", previous);
    expect(next).toEqual(previous);
    expect(next).not.toBe(previous);
  });
});

describe("folding a history", () => {
  it("derives the status from the changes, oldest first", () => {
    const history: Ordinary[] = [
      "moveIn",
      "relocation",
      "householdChange",
      "moveOut",
      "moveOutCancel",
      "moveOut",
    ];
    const status = history.reduce<RecordStatus>((s, kind) => transition(s, kind), none);
    expect(status).toEqual(scheduled);
    expect(transition(status, "moveOutConfirm")).toEqual(removed("movedOut"));
  });

  it("ends a birth record with death", () => {
    expect(transition(transition("none", "birth"), "death")).toEqual(removed("deceased"));
  });
});

describe("input checks", () => {
  it("rejects unknown states and kinds from untyped callers", () => {
    const untyped = transition as (s: string, c: string) => RecordStatus;
    expect(() => untyped("deleted", "moveIn")).toThrow(TypeError);
    expect(() => untyped("active", "marriage")).toThrow(TypeError);
  });
});

describe("labels", () => {
  it("has a Japanese label for every state, reason and change", () => {
    for (const s of LIFECYCLE_STATES) expect(stateLabel[s]).toMatch(/\p{Script=Han}/u);
    for (const k of CHANGE_KINDS) expect(changeKindLabel[k]).toMatch(/\p{Script=Han}/u);
    expect(REMOVAL_REASONS.map((r) => statusLabel(removed(r)))).toEqual([
      "除票（転出）",
      "除票（死亡）",
      "除票（国外転出）",
      "除票（職権消除）",
    ]);
    expect(statusLabel("moveOutScheduled")).toBe("転出予定");
  });
});

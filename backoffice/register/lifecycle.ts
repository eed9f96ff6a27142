/**
 * The resident record's lifecycle: one state machine, one pure file (STYLE.md §1).
 *
 * A record's status is derived by folding its changes (異動) through `transition`, oldest first
 * (STYLE.md §2). Anything that stores a change calls `transition` first, and answers 409 with
 * `IllegalTransitionError.allowed` when it throws.
 *
 * One record is one lifecycle. A person who comes back after their record was removed (転出 then
 * 転入 again, 国外転出 then 国外からの転入) gets a new record that starts at `none`; the 除票 stays
 * as it was.
 */

/**
 * `none` is a pseudo-state: no record in effect. It is where every record starts, and where one
 * ends up again if its creating change is cancelled (the rows stay in the history).
 */
export const LIFECYCLE_STATES = ["none", "active", "moveOutScheduled", "removed"] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export const REMOVAL_REASONS = ["movedOut", "deceased", "emigrated", "exOfficioRemoved"] as const;
export type RemovalReason = (typeof REMOVAL_REASONS)[number];

export type RecordStatus =
  | { state: "none" }
  | { state: "active" }
  | { state: "moveOutScheduled" }
  | { state: "removed"; removalReason: RemovalReason };

/** In the order of DOMAIN.md's glossary; error messages list allowed changes in this order. */
export const CHANGE_KINDS = [
  "moveIn",
  "specialMoveIn",
  "moveOut",
  "moveOutConfirm",
  "moveOutCancel",
  "relocation",
  "birth",
  "death",
  "householdChange",
  "emigration",
  "immigration",
  "exOfficioEntry",
  "exOfficioRemoval",
  "exOfficioCorrection",
  "changeCancellation",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Changes that create a record; allowed only from `none`. */
export const CREATION_CHANGES = [
  "moveIn",
  "specialMoveIn",
  "birth",
  "immigration",
  "exOfficioEntry",
] as const satisfies readonly ChangeKind[];

export const stateLabel = {
  none: "未記載",
  active: "記載中",
  moveOutScheduled: "転出予定",
  removed: "除票",
} as const satisfies Record<LifecycleState, string>;

export const removalReasonLabel = {
  movedOut: "転出",
  deceased: "死亡",
  emigrated: "国外転出",
  exOfficioRemoved: "職権消除",
} as const satisfies Record<RemovalReason, string>;

export const changeKindLabel = {
  moveIn: "転入",
  specialMoveIn: "特例転入",
  moveOut: "転出",
  moveOutConfirm: "転出確定",
  moveOutCancel: "転出取消",
  relocation: "転居",
  birth: "出生",
  death: "死亡",
  householdChange: "世帯変更",
  emigration: "国外転出",
  immigration: "国外からの転入",
  exOfficioEntry: "職権記載",
  exOfficioRemoval: "職権消除",
  exOfficioCorrection: "職権修正",
  changeCancellation: "異動取消",
} as const satisfies Record<ChangeKind, string>;

/** Where a change leads: a fixed status, or back to the status before the cancelled change. */
type Outcome = RecordStatus | "restorePrevious";

const ACTIVE = { state: "active" } as const;
const MOVE_OUT_SCHEDULED = { state: "moveOutScheduled" } as const;

/**
 * The whole lifecycle. A change missing from a state's row is refused in that state.
 */
export const TRANSITIONS = {
  none: {
    moveIn: ACTIVE,
    specialMoveIn: ACTIVE,
    birth: ACTIVE,
    immigration: ACTIVE,
    exOfficioEntry: ACTIVE,
  },
  active: {
    moveOut: MOVE_OUT_SCHEDULED,
    relocation: ACTIVE,
    householdChange: ACTIVE,
    death: { state: "removed", removalReason: "deceased" },
    // No destination municipality will send a 転入通知, so nothing would ever confirm a scheduled
    // 国外転出: the record is removed at once, as of the departure date carried by the change.
    emigration: { state: "removed", removalReason: "emigrated" },
    exOfficioRemoval: { state: "removed", removalReason: "exOfficioRemoved" },
    // Corrects entries (name, birth date, …), never the status.
    exOfficioCorrection: ACTIVE,
    changeCancellation: "restorePrevious",
  },
  moveOutScheduled: {
    // The record stays until the destination's 転入通知 confirms the move (DOMAIN.md glossary).
    moveOutConfirm: { state: "removed", removalReason: "movedOut" },
    moveOutCancel: ACTIVE,
    // A person may die before the move completes.
    death: { state: "removed", removalReason: "deceased" },
    // E.g. the person never registers anywhere and a 実態調査 finds they no longer live here.
    exOfficioRemoval: { state: "removed", removalReason: "exOfficioRemoved" },
    exOfficioCorrection: MOVE_OUT_SCHEDULED,
    changeCancellation: "restorePrevious",
    // Refused on purpose: relocation and householdChange (the address and household are frozen in
    // the 転出証明書情報 already sent to the destination; cancel the 転出 first), a second moveOut
    // (a new date or destination means 転出取消 and a new 転出届, so the destination gets one
    // consistent certificate), and emigration (a domestic move that becomes a move abroad is
    // 転出取消 then 国外転出).
  },
  removed: {
    // A 除票 is closed and kept as it is for 150 years. The only way back is cancelling the change
    // that removed it, when that change was entered in error.
    changeCancellation: "restorePrevious",
  },
} as const satisfies Record<LifecycleState, Partial<Record<ChangeKind, Outcome>>>;

type StatusInput = LifecycleState | RecordStatus;

function stateOf(current: StatusInput): LifecycleState {
  return typeof current === "string" ? current : current.state;
}

function outcomeOf(state: LifecycleState, change: ChangeKind): Outcome | undefined {
  const row: Partial<Record<ChangeKind, Outcome>> = TRANSITIONS[state];
  return row[change];
}

/** Changes allowed in a state, in CHANGE_KINDS order. */
export function allowedChanges(current: StatusInput): ChangeKind[] {
  const state = stateOf(current);
  return CHANGE_KINDS.filter((kind) => outcomeOf(state, kind) !== undefined);
}

/** "除票（死亡）" when the reason is known, else the plain state label. */
export function statusLabel(current: StatusInput): string {
  if (typeof current !== "string" && current.state === "removed") {
    return `${stateLabel.removed}（${removalReasonLabel[current.removalReason]}）`;
  }
  return stateLabel[stateOf(current)];
}

/** Refused change; `currentState` and `allowed` are what a 409 answer carries. */
export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  readonly currentState: LifecycleState;
  readonly change: ChangeKind;
  readonly allowed: readonly ChangeKind[];

  constructor(current: StatusInput, change: ChangeKind, message?: string) {
    const allowed = allowedChanges(current);
    const allowedText = allowed.length > 0 ? allowed.map((k) => changeKindLabel[k]).join(", ") : "なし";
    super(
      message ??
        `現在の状態（${statusLabel(current)}）では ${changeKindLabel[change] ?? String(change)} はできません。可能な異動: ${allowedText}`,
    );
    this.currentState = stateOf(current);
    this.change = change;
    this.allowed = allowed;
  }
}

function sameStatus(a: RecordStatus, b: StatusInput): boolean {
  if (typeof b === "string") return a.state === b;
  if (a.state !== b.state) return false;
  return a.state !== "removed" || b.state !== "removed" || a.removalReason === b.removalReason;
}

/**
 * A cancellation must restore a status from which some ordinary change could have produced the
 * current one: cancelling a 転出確定 (removed: movedOut) can only go back to 転出予定, cancelling a
 * 転入 only back to none. Anything else means the caller passed the wrong history. A cancellation
 * itself is undone by entering the change again, not by cancelling the cancellation.
 */
function isPlausiblePrevious(previous: RecordStatus, current: StatusInput): boolean {
  return CHANGE_KINDS.some((kind) => {
    if (kind === "changeCancellation") return false;
    const outcome = outcomeOf(previous.state, kind);
    return outcome !== undefined && outcome !== "restorePrevious" && sameStatus(outcome, current);
  });
}

function copy(status: RecordStatus): RecordStatus {
  return status.state === "removed"
    ? { state: "removed", removalReason: status.removalReason }
    : { state: status.state };
}

/**
 * Next status of a record after a change, or IllegalTransitionError. changeCancellation (異動取消)
 * needs `previous`, the status the record had before the change being cancelled: the machine
 * keeps no history, the caller's change rows do.
 */
export function transition(
  current: StatusInput,
  change: "changeCancellation",
  previous: RecordStatus,
): RecordStatus;
export function transition(
  current: StatusInput,
  change: Exclude<ChangeKind, "changeCancellation">,
): RecordStatus;
export function transition(current: StatusInput, change: ChangeKind, previous?: RecordStatus): RecordStatus {
  const state = stateOf(current);
  if (!(LIFECYCLE_STATES as readonly string[]).includes(state)) {
    throw new TypeError(`Unknown lifecycle state: ${JSON.stringify(state)}`);
  }
  if (!(CHANGE_KINDS as readonly string[]).includes(change)) {
    throw new TypeError(`Unknown change kind: ${JSON.stringify(change)}`);
  }
  const outcome = outcomeOf(state, change);
  if (outcome === undefined) throw new IllegalTransitionError(current, change);
  if (outcome !== "restorePrevious") return copy(outcome);

  if (previous === undefined) {
    throw new TypeError("changeCancellation needs the status before the cancelled change");
  }
  if (!isPlausiblePrevious(previous, current)) {
    throw new IllegalTransitionError(
      current,
      change,
      `異動取消で戻す状態（${statusLabel(previous)}）からは現在の状態（${statusLabel(current)}）になる異動がないため、取り消せません。`,
    );
  }
  return copy(previous);
}

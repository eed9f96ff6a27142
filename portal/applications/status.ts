import type { PortalApplicationStatus } from "../../db/types/portal.js";

/**
 * The application's status as the resident sees it, one state machine for the whole portal:
 * 下書き → 受付済み → 転出受理 (or 差戻し) → 来庁待ち → 完了, or 取消済み / 期限切れ.
 * Back-office updates may skip steps (a 転居予約 has no 転出受理) but never go backwards, and
 * nothing leaves a final state — with one exception: the destination decides a cancellation
 * (decision 009), so a 取消 that reached it after the counter completed the move is refused,
 * and 取消済み (which the portal shows as soon as the resident cancels) becomes 完了. Any other
 * late or replayed update is ignored, not applied.
 */
export type Status = PortalApplicationStatus;
export type Actor = "resident" | "backoffice";

const transitions = {
  draft: { resident: ["received", "cancelled"], backoffice: [] },
  received: {
    resident: ["cancelled"],
    backoffice: ["moveOutAccepted", "returned", "awaitingVisit", "completed", "cancelled", "expired"],
  },
  moveOutAccepted: {
    resident: ["cancelled"],
    backoffice: ["returned", "awaitingVisit", "completed", "cancelled", "expired"],
  },
  awaitingVisit: { resident: ["cancelled"], backoffice: ["completed", "cancelled", "expired"] },
  returned: { resident: [], backoffice: [] },
  completed: { resident: [], backoffice: [] },
  cancelled: { resident: [], backoffice: ["completed"] },
  expired: { resident: [], backoffice: [] },
} as const satisfies Record<Status, Record<Actor, readonly Status[]>>;

export function allowedTransitions(from: Status, actor: Actor): readonly Status[] {
  return transitions[from][actor];
}

export function canTransition(from: Status, to: Status, actor: Actor): boolean {
  return (allowedTransitions(from, actor) as readonly Status[]).includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: Status,
    readonly to: Status,
    readonly actor: Actor,
  ) {
    super(`an application cannot go from ${from} to ${to} (${actor})`);
    this.name = "IllegalTransitionError";
  }
}

/** The one entry point: returns the new status or throws, naming the move that is not allowed. */
export function transition(from: Status, to: Status, actor: Actor): Status {
  if (!canTransition(from, to, actor)) throw new IllegalTransitionError(from, to, actor);
  return to;
}

/** 「取り消す」 is offered while the counter has not completed the application. */
export function canCancel(status: Status): boolean {
  return canTransition(status, "cancelled", "resident") && status !== "draft";
}

/** Final as far as the resident can tell (取消済み may still turn into 完了, see above). */
export function isFinal(status: Status): boolean {
  return allowedTransitions(status, "resident").length === 0 && status !== "draft";
}

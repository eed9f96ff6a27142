/**
 * History replay: the current record is the fold of its changes, oldest first (STYLE.md §2).
 * Pure. `replay` is what tests and the 本人確認情報 builder use to prove (or to rebuild) a record
 * from `register.resident_change`; a history that does not fold cleanly throws.
 */
import { type ChangeKind, type RecordStatus, transition } from "./lifecycle.js";
import { type Patch, RECORD_FIELDS, type ResidentState, sameValue, statusOf } from "./record.js";

export interface HistoryEntry {
  id: string;
  kind: ChangeKind;
  before: Patch;
  after: Patch;
}

export interface ReplayedRecord {
  /** The record's items; for a record whose creating change was cancelled, status is `none`. */
  state: ResidentState;
  /** Number of changes folded (equals `register.resident.version`). */
  version: number;
}

export class HistoryInconsistentError extends Error {
  override readonly name = "HistoryInconsistentError";
  constructor(
    readonly changeId: string,
    message: string,
  ) {
    super(`異動履歴が記録と整合しません（異動 ${changeId}）: ${message}`);
  }
}

/**
 * Folds changes into the record. Each change's status comes from the lifecycle (`transition`),
 * and must equal what the change wrote; each change's `before` must equal the record as it was.
 * Returns null for an empty history.
 */
export function replay(changes: readonly HistoryEntry[]): ReplayedRecord | null {
  if (changes.length === 0) return null;
  let state: Record<string, unknown> = {};
  let status: RecordStatus = { state: "none" };
  let version = 0;
  for (const change of changes) {
    let next: RecordStatus;
    if (change.kind === "changeCancellation") {
      const restored = change.after;
      if (restored.status === undefined) {
        throw new HistoryInconsistentError(change.id, "異動取消に戻す状態がありません");
      }
      const previous = statusOf({ status: restored.status, removalReason: restored.removalReason ?? null });
      next = transition(status, "changeCancellation", previous);
    } else {
      next = transition(status, change.kind);
    }
    if (version > 0) {
      for (const [field, value] of Object.entries(change.before)) {
        if (!sameValue(state[field], value)) {
          throw new HistoryInconsistentError(change.id, `変更前の ${field} が直前の記録と異なります`);
        }
      }
    }
    state = { ...state, ...change.after };
    const written = statusOf({
      status: (state.status as ResidentState["status"]) ?? "none",
      removalReason: (state.removalReason as ResidentState["removalReason"]) ?? null,
    });
    if (!sameValue(written, next)) {
      throw new HistoryInconsistentError(
        change.id,
        `記録された状態 ${JSON.stringify(written)} が状態遷移の結果 ${JSON.stringify(next)} と異なります`,
      );
    }
    status = next;
    version++;
  }
  for (const field of RECORD_FIELDS) {
    if (!(field in state)) {
      throw new HistoryInconsistentError(changes[0]!.id, `項目 ${field} が履歴にありません`);
    }
  }
  return { state: state as unknown as ResidentState, version };
}

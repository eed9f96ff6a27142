/**
 * 異動取消: undoing a change entered in error. What was filed together (one request: a family's
 * 転入, a 死亡 with its 世帯主変更) is undone together, and only while it is the newest change of
 * every record it touched: later changes are undone first, newest first. The history keeps both
 * the change and its cancellation; the record goes back to what it was before the change.
 */
import { fieldError } from "../errors.js";
import { isCurrent, type ResidentState, statusOf } from "../record.js";
import { changesOfRequest, getChange, isCommandRequest, latestChanges } from "../records.queries.js";
import type { IsoDate } from "../time-rules.js";
import { checkDate, checkReason, checkUuid } from "../validation.js";
import {
  type ApprovedCommandInput,
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  requestCommandApproval,
  runCommand,
} from "./runner.js";

export interface ChangeCancellationInput extends CommandInputBase {
  /** Any change of the request to undo. */
  changeId: string;
  reason: string;
  /** 取消の年月日 (異動日); by default today. */
  effectiveDate?: IsoDate;
}

export const changeCancellationCommand: CommandSpec<ChangeCancellationInput> = {
  command: "changeCancellation",
  validate(input, errors, today) {
    checkUuid(input.changeId, "changeId", errors, "取り消す異動");
    checkReason(input.reason, "reason", errors, true);
    if (input.effectiveDate !== undefined) {
      checkDate(input.effectiveDate, "effectiveDate", errors, "取消の年月日", { notAfter: today });
    }
  },
  async execute(w, input) {
    const target = await getChange(w.trx, input.changeId);
    if (!target || target.lgCode !== w.lgCode) fieldError("changeId", "指定された異動がありません");
    if (target.kind === "changeCancellation") {
      fieldError("changeId", "異動取消は取り消せません。必要な異動をもう一度入力してください");
    }
    // Seeded and generated records share one key per load (no command request): there, a
    // change stands alone.
    const group = (await isCommandRequest(w.trx, target.requestKey))
      ? (await changesOfRequest(w.trx, target.requestKey)).filter((c) => c.kind !== "changeCancellation")
      : [target];
    const residentIds = [...new Set(group.map((c) => c.residentId))];
    await w.lock(residentIds, () => "changeId");
    const latest = await latestChanges(w.trx, residentIds);
    // A request writes at most one change per record.
    if (group.some((c) => latest.get(c.residentId)?.id !== c.id)) {
      fieldError(
        "changeId",
        "この異動の後に別の異動があるため取り消せません。新しい異動から順に取り消してください",
      );
    }
    for (const change of [...group].sort((a, b) => b.seq - a.seq)) {
      const current = w.current(change.residentId).state;
      const restored: ResidentState = { ...current, ...change.before } as ResidentState;
      const previous = statusOf({ status: restored.status, removalReason: restored.removalReason });
      if (isCurrent(restored.status) && !isCurrent(current.status)) {
        await w.assertNotRegistered(restored, "changeId", change.residentId);
      }
      await w.change(
        change.residentId,
        restored,
        {
          kind: "changeCancellation",
          origin: "exOfficio",
          effectiveDate: input.effectiveDate ?? w.today,
          notifiedOn: null,
          reason: input.reason,
        },
        { previous, cancelsChangeId: change.id },
      );
    }
  },
};

export function requestChangeCancellation(
  ctx: CommandContext,
  input: Omit<ChangeCancellationInput, "requestKey">,
): Promise<string> {
  return requestCommandApproval(ctx, changeCancellationCommand, input);
}

/** 異動取消 (approved). */
export function changeCancellation(ctx: CommandContext, input: ApprovedCommandInput): Promise<CommandResult> {
  return runCommand(ctx, changeCancellationCommand, input);
}

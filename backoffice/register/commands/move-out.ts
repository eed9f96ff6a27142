/**
 * 転出 (scheduled; confirmed when the destination's 転入通知 arrives, cancellable until then) and
 * 国外転出 (removed at once: no destination will ever confirm it).
 */
import { type FieldErrors, fieldError } from "../errors.js";
import { HEAD } from "../record.js";
import {
  addDays,
  daysBetween,
  type IsoDate,
  notificationTiming,
  ONLINE_MOVE_OUT_DAYS_BEFORE,
} from "../time-rules.js";
import {
  checkDate,
  checkIdList,
  checkLgCode,
  checkOtherMunicipality,
  checkReason,
  checkText,
  isObject,
} from "../validation.js";
import {
  type ChangeWriter,
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  runCommand,
} from "./runner.js";
import { assertHeadNotLeftBehind, oneHousehold } from "./shared.js";

/**
 * How far ahead a 転出 (or 国外転出) may be filed: the same 30 days as the online 転出届
 * (this project's rule for the counter too).
 */
export const MOVE_OUT_MAX_DAYS_AHEAD = ONLINE_MOVE_OUT_DAYS_BEFORE;

export interface MoveOutInput extends CommandInputBase {
  /** Members of one household who move together. */
  residentIds: string[];
  /** 転出予定年月日 (異動日); may be in the future. */
  plannedOn: IsoDate;
  notifiedOn: IsoDate;
  destination: { lgCode: string; address: string };
}

export interface EmigrationInput extends CommandInputBase {
  residentIds: string[];
  /** 国外転出の予定年月日 (異動日); may be in the future. */
  departedOn: IsoDate;
  notifiedOn: IsoDate;
  /** 転出先 abroad, as written (country and city). */
  destinationAddress: string;
}

export interface MoveOutConfirmInput extends CommandInputBase {
  residentIds: string[];
  /** The 転出の年月日 to record; by default the planned one. */
  movedOutOn?: IsoDate;
  /** The destination that sent the 転入通知, when it differs from the one planned. */
  destination?: { lgCode: string; address: string };
}

export interface MoveOutCancelInput extends CommandInputBase {
  residentIds: string[];
  /** 転出取消の届出日 (異動日). */
  notifiedOn: IsoDate;
  reason?: string | null;
}

function checkLeavingDates(
  input: Record<string, unknown>,
  field: string,
  what: string,
  errors: FieldErrors,
  today: IsoDate,
): void {
  checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
  checkDate(input[field], field, errors, what, {
    notAfter: addDays(today, MOVE_OUT_MAX_DAYS_AHEAD),
    notAfterMessage: `${what}は届出の日から ${MOVE_OUT_MAX_DAYS_AHEAD} 日以内にしてください`,
  });
}

/**
 * Locks the leavers, who must be one household's members, and keeps its head with those who
 * stay — except, for a scheduled 転出, when exactly one member stays: that member becomes the
 * head when the 転出 is confirmed (a household of one has no one else to choose).
 */
async function lockLeavers(w: ChangeWriter, residentIds: string[], opts: { soleHeir?: boolean } = {}) {
  const leavers = await w.lock(residentIds, (i) => `residentIds.${i}`);
  const householdId = oneHousehold(leavers, "residentIds");
  const { living } = await w.lockHousehold(householdId, "residentIds");
  const leaving = new Set(residentIds);
  const staying = living.filter((m) => !leaving.has(m.row.id));
  if (!(opts.soleHeir && staying.length === 1)) assertHeadNotLeftBehind(living, leaving, "residentIds");
  return leavers;
}

export const moveOutCommand: CommandSpec<MoveOutInput> = {
  command: "moveOut",
  validate(input, errors, today) {
    checkIdList(input.residentIds, "residentIds", errors, "転出する方");
    checkLeavingDates(input, "plannedOn", "転出予定年月日", errors, today);
    if (!isObject(input.destination)) {
      errors.add("destination", "転出先を入力してください");
    } else {
      checkOtherMunicipality(input.destination.lgCode, String(input.lgCode), "destination.lgCode", errors);
      checkText(input.destination.address, "destination.address", errors, "転出先の住所", { max: 200 });
    }
  },
  async execute(w, input) {
    const leavers = await lockLeavers(w, input.residentIds, { soleHeir: true });
    const late = notificationTiming("moveOut", input.plannedOn, input.notifiedOn) === "late";
    for (const p of leavers) {
      await w.change(
        p.row.id,
        {
          ...p.state,
          moveOut: {
            plannedOn: input.plannedOn,
            destinationLgCode: input.destination.lgCode,
            destinationAddress: input.destination.address.trim(),
          },
        },
        {
          kind: "moveOut",
          origin: "notification",
          effectiveDate: input.plannedOn,
          notifiedOn: input.notifiedOn,
          late,
        },
      );
    }
  },
};

/** 転出: the record stays (転出予定) until the destination's 転入通知 confirms the move. */
export function moveOut(ctx: CommandContext, input: MoveOutInput): Promise<CommandResult> {
  return runCommand(ctx, moveOutCommand, input);
}

export const moveOutConfirmCommand: CommandSpec<MoveOutConfirmInput> = {
  command: "moveOutConfirm",
  validate(input, errors, today) {
    checkIdList(input.residentIds, "residentIds", errors, "転出する方");
    if (input.movedOutOn !== undefined) {
      checkDate(input.movedOutOn, "movedOutOn", errors, "転出の年月日", { notAfter: today });
    }
    if (input.destination !== undefined) {
      if (!isObject(input.destination)) errors.add("destination", "転出先の形が正しくありません");
      else {
        checkLgCode(input.destination.lgCode, "destination.lgCode", errors);
        checkText(input.destination.address, "destination.address", errors, "転出先の住所", { max: 200 });
      }
    }
  },
  async execute(w, input) {
    const leavers = await w.lock(input.residentIds, (i) => `residentIds.${i}`);
    // The household left behind: when its head leaves and one member stays, that member becomes
    // the head (職権, at the date of the 転出), so the household is never without one.
    const householdId = oneHousehold(leavers, "residentIds");
    const { living } = await w.lockHousehold(householdId, "residentIds");
    const leaving = new Set(input.residentIds);
    const staying = living.filter((m) => !leaving.has(m.row.id));
    const headLeaves = living.some((m) => leaving.has(m.row.id) && m.state.relationship === HEAD);
    let lastMovedOutOn: IsoDate | undefined;
    for (const p of leavers) {
      const planned = p.state.moveOut;
      const movedOutOn = input.movedOutOn ?? planned?.plannedOn ?? w.today;
      if (daysBetween(movedOutOn, w.today) < 0) {
        fieldError(
          "movedOutOn",
          "転出予定日がまだ来ていないため、転出を確定できません（転出の年月日を指定してください）",
        );
      }
      const moveOut = input.destination
        ? {
            plannedOn: planned?.plannedOn ?? movedOutOn,
            destinationLgCode: input.destination.lgCode,
            destinationAddress: input.destination.address.trim(),
          }
        : planned;
      await w.change(
        p.row.id,
        { ...p.state, moveOut },
        { kind: "moveOutConfirm", origin: "notification", effectiveDate: movedOutOn, notifiedOn: null },
      );
      lastMovedOutOn = movedOutOn;
    }
    const heir = staying.length === 1 ? staying[0] : undefined;
    if (headLeaves && heir && lastMovedOutOn) {
      const state = w.current(heir.row.id).state;
      await w.change(
        heir.row.id,
        { ...state, relationship: HEAD },
        {
          kind: "householdChange",
          origin: "exOfficio",
          effectiveDate: lastMovedOutOn,
          notifiedOn: null,
          reason: "世帯主の転出により、残る世帯員が世帯主となった",
        },
      );
    }
  },
};

/** 転出確定: the destination's 転入通知 arrived; the record becomes a 除票 (転出). */
export function moveOutConfirm(ctx: CommandContext, input: MoveOutConfirmInput): Promise<CommandResult> {
  return runCommand(ctx, moveOutConfirmCommand, input);
}

export const moveOutCancelCommand: CommandSpec<MoveOutCancelInput> = {
  command: "moveOutCancel",
  validate(input, errors, today) {
    checkIdList(input.residentIds, "residentIds", errors, "転出を取り消す方");
    checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
    checkReason(input.reason, "reason", errors, false);
  },
  async execute(w, input) {
    const people = await w.lock(input.residentIds, (i) => `residentIds.${i}`);
    for (const p of people) {
      await w.change(
        p.row.id,
        { ...p.state, moveOut: null },
        {
          kind: "moveOutCancel",
          origin: "notification",
          effectiveDate: input.notifiedOn,
          notifiedOn: input.notifiedOn,
          reason: input.reason ?? null,
        },
      );
    }
  },
};

/** 転出取消: while the 転出 is only scheduled. */
export function moveOutCancel(ctx: CommandContext, input: MoveOutCancelInput): Promise<CommandResult> {
  return runCommand(ctx, moveOutCancelCommand, input);
}

export const emigrationCommand: CommandSpec<EmigrationInput> = {
  command: "emigration",
  validate(input, errors, today) {
    checkIdList(input.residentIds, "residentIds", errors, "国外へ転出する方");
    checkLeavingDates(input, "departedOn", "国外転出の予定年月日", errors, today);
    checkText(input.destinationAddress, "destinationAddress", errors, "国外の転出先", { max: 200 });
  },
  async execute(w, input) {
    const leavers = await lockLeavers(w, input.residentIds);
    const late = notificationTiming("moveOut", input.departedOn, input.notifiedOn) === "late";
    for (const p of leavers) {
      await w.change(
        p.row.id,
        {
          ...p.state,
          moveOut: {
            plannedOn: input.departedOn,
            destinationLgCode: null,
            destinationAddress: input.destinationAddress.trim(),
          },
        },
        {
          kind: "emigration",
          origin: "notification",
          effectiveDate: input.departedOn,
          notifiedOn: input.notifiedOn,
          late,
        },
      );
    }
  },
};

/** 国外転出: the record becomes a 除票 (国外転出) at once, as of the departure date. */
export function emigration(ctx: CommandContext, input: EmigrationInput): Promise<CommandResult> {
  return runCommand(ctx, emigrationCommand, input);
}

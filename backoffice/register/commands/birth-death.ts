/**
 * 出生 and 死亡. The 戸籍法 periods: 出生届 within 14 days of the birth (第49条), 死亡届 within 7
 * days of learning of the death (第86条; counted here from the date of death). A late one is
 * accepted and flagged 届出期間経過.
 */
import { fieldError } from "../errors.js";
import { addDays, daysBetween, type IsoDate } from "../time-rules.js";
import {
  type AddressInput,
  checkDate,
  checkMyNumber,
  checkPersonItems,
  checkRelationship,
  checkUuid,
  isObject,
  type PersonItemsInput,
} from "../validation.js";
import {
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  runCommand,
} from "./runner.js";
import {
  checkHouseholdTarget,
  checkNewHead,
  enterPersons,
  type HouseholdTarget,
  type NewHeadInput,
  placeNewcomers,
  succeedHead,
} from "./shared.js";

export const BIRTH_NOTIFICATION_DAYS = 14;
export const DEATH_NOTIFICATION_DAYS = 7;

export interface BirthInput extends CommandInputBase {
  notifiedOn: IsoDate;
  /** The child; its birth date is the change's 異動日. */
  child: PersonItemsInput & { relationship: string; myNumber?: string | null };
  /** Usually the household of a parent; a new one needs an address. */
  household: HouseholdTarget;
  address?: AddressInput;
}

export const birthCommand: CommandSpec<BirthInput> = {
  command: "birth",
  validate(input, errors, today) {
    checkPersonItems(input.child, "child", errors, today);
    const child = isObject(input.child) ? input.child : {};
    checkRelationship(child.relationship, "child.relationship", errors, {
      head: isObject(input.household) && input.household.kind === "new",
    });
    if (child.myNumber !== undefined && child.myNumber !== null)
      checkMyNumber(child.myNumber, "child.myNumber", errors);
    const notifiedOn = checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
    if (notifiedOn && typeof child.birthDate === "string" && !errors.has("child.birthDate")) {
      if (daysBetween(child.birthDate, notifiedOn) < 0)
        errors.add("notifiedOn", "出生届の届出日が生年月日より前です");
    }
    checkHouseholdTarget(input.household, "household", errors);
    if (isObject(input.household) && input.household.kind === "new" && child.relationship !== "世帯主") {
      errors.add("child.relationship", "新しい世帯には世帯主を一人（続柄「世帯主」）指定してください");
    }
  },
  async execute(w, input) {
    const place = await placeNewcomers(w, input.household, input.address, {
      household: "household",
      address: "address",
    });
    const born = input.child.birthDate;
    await enterPersons(
      w,
      [{ ...input.child, residentCode: null }],
      place,
      () => ({
        residentSince: born,
        addressSince: born,
        addressNotifiedOn: input.notifiedOn,
        previousAddress: null,
      }),
      {
        kind: "birth",
        origin: "notification",
        effectiveDate: born,
        notifiedOn: input.notifiedOn,
        late: daysBetween(addDays(born, BIRTH_NOTIFICATION_DAYS), input.notifiedOn) > 0,
      },
      "child",
    );
  },
};

/** 出生: a new record with a newly issued 住民票コード. */
export function birth(ctx: CommandContext, input: BirthInput): Promise<CommandResult> {
  return runCommand(ctx, birthCommand, input);
}

export interface DeathInput extends CommandInputBase {
  residentId: string;
  /** 死亡年月日 (異動日) */
  diedOn: IsoDate;
  notifiedOn: IsoDate;
  /** When the deceased was the head and more than one member remains: who becomes head. */
  newHead?: NewHeadInput | null;
}

export const deathCommand: CommandSpec<DeathInput> = {
  command: "death",
  validate(input, errors, today) {
    checkUuid(input.residentId, "residentId", errors, "住民");
    const diedOn = checkDate(input.diedOn, "diedOn", errors, "死亡年月日", { notAfter: today });
    const notifiedOn = checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
    if (diedOn && notifiedOn && daysBetween(diedOn, notifiedOn) < 0) {
      errors.add("notifiedOn", "死亡届の届出日が死亡年月日より前です");
    }
    checkNewHead(input.newHead, "newHead", errors);
  },
  async execute(w, input) {
    const person = await w.lockOne(input.residentId, "residentId");
    if (daysBetween(person.state.birthDate, input.diedOn) < 0) {
      fieldError("diedOn", "死亡年月日が生年月日より前です");
    }
    const meta = {
      origin: "notification" as const,
      effectiveDate: input.diedOn,
      notifiedOn: input.notifiedOn,
      late: daysBetween(addDays(input.diedOn, DEATH_NOTIFICATION_DAYS), input.notifiedOn) > 0,
    };
    // The state machine refuses a death of a record that is not living (before any other write).
    await w.change(input.residentId, person.state, { ...meta, kind: "death" });
    await succeedHead(
      w,
      person.state.householdId,
      new Set([input.residentId]),
      input.newHead,
      meta,
      "newHead",
    );
  },
};

/** 死亡: the record becomes a 除票; a new head is set when the head died and others remain. */
export function death(ctx: CommandContext, input: DeathInput): Promise<CommandResult> {
  return runCommand(ctx, deathCommand, input);
}

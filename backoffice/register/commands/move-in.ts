/**
 * 転入 (with a paper 転出証明書), 特例転入 (with the 転出証明書情報 received over the network, the
 * card presented at the counter) and 国外からの転入.
 */
import type { FieldErrors } from "../errors.js";
import { fieldError } from "../errors.js";
import { type IsoDate, notificationTiming, specialMoveInDeadline } from "../time-rules.js";
import { type AddressInput, checkDate, checkOtherMunicipality, checkText, isObject } from "../validation.js";
import {
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  runCommand,
} from "./runner.js";
import {
  checkHouseholdTarget,
  checkIncomingPersons,
  enterPersons,
  type HouseholdTarget,
  type IncomingPerson,
  placeNewcomers,
} from "./shared.js";

/** What the origin municipality certifies (転出証明書 / 転出証明書情報). */
export interface MoveOutCertificate {
  /** 転出元の地方公共団体コード */
  fromLgCode: string;
  /** 転出元の住所 (recorded as 従前の住所) */
  fromAddress: string;
  /** 転出予定年月日 */
  plannedMoveOutDate: IsoDate;
}

export interface MoveInInput extends CommandInputBase {
  /** 転入した年月日 (異動日) */
  movedInOn: IsoDate;
  /** 届出日 */
  notifiedOn: IsoDate;
  certificate: MoveOutCertificate;
  /** The people on the certificate who move in, each with their 住民票コード and 個人番号. */
  persons: IncomingPerson[];
  household: HouseholdTarget;
  /** The new address; required for a new household, else the household's own. */
  address?: AddressInput;
}

export type SpecialMoveInInput = MoveInInput;

export interface ImmigrationInput extends CommandInputBase {
  movedInOn: IsoDate;
  notifiedOn: IsoDate;
  /** 従前の住所 abroad, as written (e.g. the country and city). */
  previousAddress: string;
  /** 住民票コード and 個人番号 when the person had them (a Japanese national coming back). */
  persons: IncomingPerson[];
  household: HouseholdTarget;
  address?: AddressInput;
}

/** 転入届 timing: not before moving in (error), after 14 days accepted but flagged late. */
function checkMoveInDates(input: Record<string, unknown>, errors: FieldErrors, today: IsoDate): void {
  const movedInOn = checkDate(input.movedInOn, "movedInOn", errors, "転入した年月日", {
    notAfter: today,
    notAfterMessage: "転入した年月日に未来の日付は指定できません（転入届は転入してから届け出ます）",
  });
  const notifiedOn = checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
  if (movedInOn && notifiedOn && notificationTiming("moveIn", movedInOn, notifiedOn) === "early") {
    errors.add("notifiedOn", "転入届は転入した日以後に届け出てください");
  }
}

function validateMoveIn(input: Record<string, unknown>, errors: FieldErrors, today: IsoDate): void {
  checkMoveInDates(input, errors, today);
  const cert = input.certificate;
  if (!isObject(cert)) {
    errors.add("certificate", "転出証明書の内容を入力してください");
  } else {
    checkOtherMunicipality(cert.fromLgCode, String(input.lgCode), "certificate.fromLgCode", errors);
    checkText(cert.fromAddress, "certificate.fromAddress", errors, "転出元の住所", { max: 200 });
    checkDate(cert.plannedMoveOutDate, "certificate.plannedMoveOutDate", errors, "転出予定年月日");
  }
  checkHouseholdTarget(input.household, "household", errors);
  checkIncomingPersons(input.persons, "persons", errors, today, {
    codesRequired: true,
    household: input.household,
  });
}

function lateMoveIn(input: MoveInInput | ImmigrationInput): boolean {
  return notificationTiming("moveIn", input.movedInOn, input.notifiedOn) === "late";
}

function moveInSpec(kind: "moveIn" | "specialMoveIn"): CommandSpec<MoveInInput> {
  return {
    command: kind,
    validate: validateMoveIn,
    async execute(w, input) {
      if (kind === "specialMoveIn") {
        // 特例転入: within 14 days of moving in and 30 days of the planned move-out date;
        // after that the 転出証明書情報 no longer serves, and a paper certificate is needed.
        const deadline = specialMoveInDeadline({
          movedInOn: input.movedInOn,
          plannedMoveOutDate: input.certificate.plannedMoveOutDate,
        });
        if (w.today > deadline) {
          fieldError(
            "movedInOn",
            "特例転入の期限（転入から14日以内かつ転出予定日から30日以内）を過ぎています。転出証明書（紙）による転入届としてください",
          );
        }
      }
      const place = await placeNewcomers(w, input.household, input.address, {
        household: "household",
        address: "address",
      });
      await enterPersons(
        w,
        input.persons,
        place,
        () => ({
          residentSince: input.movedInOn,
          addressSince: input.movedInOn,
          addressNotifiedOn: input.notifiedOn,
          previousAddress: input.certificate.fromAddress,
        }),
        {
          kind,
          origin: "notification",
          effectiveDate: input.movedInOn,
          notifiedOn: input.notifiedOn,
          late: lateMoveIn(input),
        },
        "persons",
      );
    },
  };
}

export const moveInCommand = moveInSpec("moveIn");
export const specialMoveInCommand = moveInSpec("specialMoveIn");

/** 転入 with a paper 転出証明書. */
export function moveIn(ctx: CommandContext, input: MoveInInput): Promise<CommandResult> {
  return runCommand(ctx, moveInCommand, input);
}

/** 特例転入: the 転出証明書情報 came over 住基ネット; the card was presented at the counter. */
export function specialMoveIn(ctx: CommandContext, input: SpecialMoveInInput): Promise<CommandResult> {
  return runCommand(ctx, specialMoveInCommand, input);
}

export const immigrationCommand: CommandSpec<ImmigrationInput> = {
  command: "immigration",
  validate(input, errors, today) {
    checkMoveInDates(input, errors, today);
    checkText(input.previousAddress, "previousAddress", errors, "国外の従前の住所", { max: 200 });
    checkHouseholdTarget(input.household, "household", errors);
    checkIncomingPersons(input.persons, "persons", errors, today, {
      codesRequired: false,
      household: input.household,
    });
  },
  async execute(w, input) {
    const place = await placeNewcomers(w, input.household, input.address, {
      household: "household",
      address: "address",
    });
    await enterPersons(
      w,
      input.persons,
      place,
      () => ({
        residentSince: input.movedInOn,
        addressSince: input.movedInOn,
        addressNotifiedOn: input.notifiedOn,
        previousAddress: input.previousAddress,
      }),
      {
        kind: "immigration",
        origin: "notification",
        effectiveDate: input.movedInOn,
        notifiedOn: input.notifiedOn,
        late: lateMoveIn(input),
      },
      "persons",
    );
  },
};

/** 国外からの転入. */
export function immigration(ctx: CommandContext, input: ImmigrationInput): Promise<CommandResult> {
  return runCommand(ctx, immigrationCommand, input);
}

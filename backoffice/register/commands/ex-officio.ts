/**
 * 職権記載・職権消除・職権修正: changes the office makes on its own authority (住基法施行令 第12条),
 * e.g. after a 実態調査. Each runs in two steps with two people (authorization.ts): a clerk or
 * supervisor files the request (`request…`, which checks it against the register as it is), a
 * different supervisor approves, then the command runs with `{ requestKey, lgCode, approvalId }`.
 */
import { FieldErrors, fieldError } from "../errors.js";
import { HEAD, type ResidentState } from "../record.js";
import type { IsoDate } from "../time-rules.js";
import {
  type AddressInput,
  checkAddress,
  checkDate,
  checkIdList,
  checkMyNumber,
  checkName,
  checkPersonItems,
  checkReason,
  checkRelationship,
  checkText,
  checkUuid,
  type HonsekiInput,
  isObject,
  type NameInput,
} from "../validation.js";
import {
  type ApprovedCommandInput,
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  requestCommandApproval,
  runCommand,
} from "./runner.js";
import {
  addressItems,
  checkHouseholdTarget,
  checkIncomingPersons,
  checkNewHead,
  enterPersons,
  type HouseholdTarget,
  type IncomingPerson,
  type NewHeadInput,
  oneHousehold,
  placeNewcomers,
  succeedHead,
} from "./shared.js";

type Request<I> = Omit<I, "requestKey">;

// ---------------------------------------------------------------------------------------------
// 職権記載

export interface ExOfficioEntryInput extends CommandInputBase {
  /** 住所を定めた年月日 as established (異動日). */
  effectiveDate: IsoDate;
  reason: string;
  persons: IncomingPerson[];
  household: HouseholdTarget;
  address?: AddressInput;
  previousAddress?: string | null;
}

export const exOfficioEntryCommand: CommandSpec<ExOfficioEntryInput> = {
  command: "exOfficioEntry",
  validate(input, errors, today) {
    checkDate(input.effectiveDate, "effectiveDate", errors, "住所を定めた年月日", { notAfter: today });
    checkReason(input.reason, "reason", errors, true);
    checkText(input.previousAddress, "previousAddress", errors, "従前の住所", { required: false, max: 200 });
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
        residentSince: input.effectiveDate,
        addressSince: input.effectiveDate,
        addressNotifiedOn: null,
        previousAddress: input.previousAddress ?? null,
      }),
      {
        kind: "exOfficioEntry",
        origin: "exOfficio",
        effectiveDate: input.effectiveDate,
        notifiedOn: null,
        reason: input.reason,
      },
      "persons",
    );
  },
};

export function requestExOfficioEntry(
  ctx: CommandContext,
  input: Request<ExOfficioEntryInput>,
): Promise<string> {
  return requestCommandApproval(ctx, exOfficioEntryCommand, input);
}

/** 職権記載 (approved). */
export function exOfficioEntry(ctx: CommandContext, input: ApprovedCommandInput): Promise<CommandResult> {
  return runCommand(ctx, exOfficioEntryCommand, input);
}

// ---------------------------------------------------------------------------------------------
// 職権消除

export interface ExOfficioRemovalInput extends CommandInputBase {
  /** Members of one household. */
  residentIds: string[];
  /** 消除の年月日 (異動日) */
  effectiveDate: IsoDate;
  reason: string;
  newHead?: NewHeadInput | null;
}

export const exOfficioRemovalCommand: CommandSpec<ExOfficioRemovalInput> = {
  command: "exOfficioRemoval",
  validate(input, errors, today) {
    checkIdList(input.residentIds, "residentIds", errors, "消除する方");
    checkDate(input.effectiveDate, "effectiveDate", errors, "消除の年月日", { notAfter: today });
    checkReason(input.reason, "reason", errors, true);
    checkNewHead(input.newHead, "newHead", errors);
  },
  async execute(w, input) {
    const people = await w.lock(input.residentIds, (i) => `residentIds.${i}`);
    const householdId = oneHousehold(people, "residentIds");
    const meta = {
      origin: "exOfficio" as const,
      effectiveDate: input.effectiveDate,
      notifiedOn: null,
      reason: input.reason,
    };
    for (const p of people) await w.change(p.row.id, p.state, { ...meta, kind: "exOfficioRemoval" });
    await succeedHead(w, householdId, new Set(input.residentIds), input.newHead, meta, "newHead");
  },
};

export function requestExOfficioRemoval(
  ctx: CommandContext,
  input: Request<ExOfficioRemovalInput>,
): Promise<string> {
  return requestCommandApproval(ctx, exOfficioRemovalCommand, input);
}

/** 職権消除 (approved): the records become 除票 (職権消除). */
export function exOfficioRemoval(ctx: CommandContext, input: ApprovedCommandInput): Promise<CommandResult> {
  return runCommand(ctx, exOfficioRemovalCommand, input);
}

// ---------------------------------------------------------------------------------------------
// 職権修正

/** Items a 職権修正 may correct; only those given change. */
export interface Corrections {
  name?: NameInput;
  birthDate?: IsoDate;
  sex?: "male" | "female";
  nationality?: string;
  honseki?: HonsekiInput | null;
  foreigner?: ResidentState["foreigner"];
  relationship?: string;
  residentSince?: IsoDate;
  addressSince?: IsoDate;
  addressNotifiedOn?: IsoDate | null;
  previousAddress?: string | null;
  address?: AddressInput;
  /** Sets or corrects the 個人番号. */
  myNumber?: string;
  qualifications?: Record<string, unknown>;
}

const CORRECTABLE = [
  "name",
  "birthDate",
  "sex",
  "nationality",
  "honseki",
  "foreigner",
  "relationship",
  "residentSince",
  "addressSince",
  "addressNotifiedOn",
  "previousAddress",
  "address",
  "myNumber",
  "qualifications",
] as const satisfies readonly (keyof Corrections)[];

export interface ExOfficioCorrectionInput extends CommandInputBase {
  residentId: string;
  /** 修正の年月日 (異動日); by default today. */
  effectiveDate?: IsoDate;
  reason: string;
  corrections: Corrections;
}

export const exOfficioCorrectionCommand: CommandSpec<ExOfficioCorrectionInput> = {
  command: "exOfficioCorrection",
  validate(input, errors, today) {
    checkUuid(input.residentId, "residentId", errors, "住民");
    if (input.effectiveDate !== undefined) {
      checkDate(input.effectiveDate, "effectiveDate", errors, "修正の年月日", { notAfter: today });
    }
    checkReason(input.reason, "reason", errors, true);
    const c = input.corrections;
    if (!isObject(c) || Object.keys(c).length === 0) {
      errors.add("corrections", "修正する項目を指定してください");
      return;
    }
    for (const key of Object.keys(c)) {
      if (!(CORRECTABLE as readonly string[]).includes(key))
        errors.add(`corrections.${key}`, "この項目は職権修正できません");
    }
    if ("name" in c) checkName(c.name, "corrections.name", errors);
    for (const key of ["birthDate", "residentSince", "addressSince"] as const) {
      if (key in c) checkDate(c[key], `corrections.${key}`, errors, "日付", { notAfter: today });
    }
    if ("addressNotifiedOn" in c && c.addressNotifiedOn !== null) {
      checkDate(c.addressNotifiedOn, "corrections.addressNotifiedOn", errors, "届出の年月日", {
        notAfter: today,
      });
    }
    if ("previousAddress" in c) {
      checkText(c.previousAddress, "corrections.previousAddress", errors, "従前の住所", {
        required: false,
        max: 200,
      });
    }
    if ("relationship" in c)
      checkRelationship(c.relationship, "corrections.relationship", errors, { head: false });
    if ("myNumber" in c) checkMyNumber(c.myNumber, "corrections.myNumber", errors);
    if ("qualifications" in c && !isObject(c.qualifications)) {
      errors.add("corrections.qualifications", "資格等の記載事項の形が正しくありません");
    }
  },
  async execute(w, input) {
    const person = await w.lockOne(input.residentId, "residentId");
    const s = person.state;
    const c = input.corrections;
    const next: ResidentState = { ...s };
    if (c.name) {
      next.familyName = c.name.family.trim();
      next.givenName = c.name.given.trim();
      next.familyKana = c.name.familyKana.trim();
      next.givenKana = c.name.givenKana.trim();
    }
    if (c.birthDate !== undefined) next.birthDate = c.birthDate;
    if (c.sex !== undefined) next.sex = c.sex;
    if (c.nationality !== undefined) next.nationality = c.nationality;
    if (c.honseki !== undefined) {
      next.honseki = c.honseki?.address ?? null;
      next.honsekiHead = c.honseki?.headOfFamily ?? null;
    }
    if (c.foreigner !== undefined) next.foreigner = c.foreigner;
    if (next.nationality === "JP") next.foreigner = null;
    else {
      next.honseki = null;
      next.honsekiHead = null;
    }
    if (c.relationship !== undefined) {
      if (s.relationship === HEAD) {
        fieldError(
          "corrections.relationship",
          "世帯主の続柄は職権修正できません（世帯主の変更は世帯変更で行ってください）",
        );
      }
      next.relationship = c.relationship;
    }
    if (c.residentSince !== undefined) next.residentSince = c.residentSince;
    if (c.addressSince !== undefined) next.addressSince = c.addressSince;
    if (c.addressNotifiedOn !== undefined) next.addressNotifiedOn = c.addressNotifiedOn;
    if (c.previousAddress !== undefined) next.previousAddress = c.previousAddress;
    if (c.address !== undefined) {
      const errors = new FieldErrors();
      checkAddress(c.address, "corrections.address", errors, w.municipality);
      errors.throwIfAny();
      Object.assign(next, addressItems(w.municipality, c.address));
    }
    if (c.myNumber !== undefined) Object.assign(next, w.sealMyNumber(c.myNumber));
    if (c.qualifications !== undefined) next.qualifications = c.qualifications;

    // The corrected person must be a valid person as a whole (e.g. a change of nationality brings
    // the foreign-resident items of its category, or the 本籍).
    const errors = new FieldErrors();
    checkPersonItems(
      {
        name: {
          family: next.familyName,
          given: next.givenName,
          familyKana: next.familyKana,
          givenKana: next.givenKana,
        },
        birthDate: next.birthDate,
        sex: next.sex,
        nationality: next.nationality,
        honseki: next.honseki === null ? null : { address: next.honseki, headOfFamily: next.honsekiHead },
        foreigner: next.foreigner,
      },
      "corrections",
      errors,
      w.today,
    );
    errors.throwIfAny();
    if (next.residentSince < next.birthDate || next.addressSince < next.birthDate) {
      fieldError("corrections", "住民となった年月日・住所を定めた年月日は生年月日以後の日付です");
    }
    if (c.myNumber !== undefined) await w.assertNotRegistered(next, "corrections", input.residentId);
    if (JSON.stringify(next) === JSON.stringify(s) && c.myNumber === undefined) {
      fieldError("corrections", "修正する内容が現在の記録と同じです");
    }
    await w.change(input.residentId, next, {
      kind: "exOfficioCorrection",
      origin: "exOfficio",
      effectiveDate: input.effectiveDate ?? w.today,
      notifiedOn: null,
      reason: input.reason,
    });
  },
};

export function requestExOfficioCorrection(
  ctx: CommandContext,
  input: Request<ExOfficioCorrectionInput>,
): Promise<string> {
  return requestCommandApproval(ctx, exOfficioCorrectionCommand, input);
}

/** 職権修正 (approved). */
export function exOfficioCorrection(
  ctx: CommandContext,
  input: ApprovedCommandInput,
): Promise<CommandResult> {
  return runCommand(ctx, exOfficioCorrectionCommand, input);
}

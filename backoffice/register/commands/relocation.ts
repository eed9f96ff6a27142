/**
 * 転居: a move inside the municipality. A whole household keeps its household; part of one forms
 * a new household at the new address or joins the household that lives there.
 */
import { fieldError } from "../errors.js";
import { addressOf, HEAD, sameAddress } from "../record.js";
import { type IsoDate, notificationTiming } from "../time-rules.js";
import {
  type AddressInput,
  checkDate,
  checkIdList,
  checkRelationships,
  checkUuid,
  isObject,
} from "../validation.js";
import {
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  runCommand,
} from "./runner.js";
import { type addressItems, assertHeadNotLeftBehind, oneHousehold, requireAddress } from "./shared.js";

export type RelocationHousehold =
  /** The whole household moves and stays one household. */
  | { kind: "same" }
  /** Part of a household moves and forms a new one: its head and the others' 続柄 to that head. */
  | { kind: "new"; headId: string; relationships: Record<string, string> }
  /** Part of a household moves into the household living at the new address. */
  | { kind: "join"; householdId: string; relationships: Record<string, string> };

export interface RelocationInput extends CommandInputBase {
  residentIds: string[];
  /** 転居した年月日 (異動日) */
  movedOn: IsoDate;
  notifiedOn: IsoDate;
  /** The new address (for `join`, the household's own; may be omitted). */
  address?: AddressInput;
  household: RelocationHousehold;
}

export const relocationCommand: CommandSpec<RelocationInput> = {
  command: "relocation",
  validate(input, errors, today) {
    const ids = checkIdList(input.residentIds, "residentIds", errors, "転居する方");
    const movedOn = checkDate(input.movedOn, "movedOn", errors, "転居した年月日", {
      notAfter: today,
      notAfterMessage: "転居した年月日に未来の日付は指定できません（転居届は転居してから届け出ます）",
    });
    const notifiedOn = checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
    if (movedOn && notifiedOn && notificationTiming("relocation", movedOn, notifiedOn) === "early") {
      errors.add("notifiedOn", "転居届は転居した日以後に届け出てください");
    }
    const h = input.household;
    if (!isObject(h) || !["same", "new", "join"].includes(h.kind as string)) {
      errors.add("household", "世帯ごとの転居か、新しい世帯か、既存の世帯への加入かを指定してください");
      return;
    }
    if (h.kind === "same" || h.kind === "new") {
      if (input.address === undefined || input.address === null)
        errors.add("address", "転居先の住所を入力してください");
    }
    if (h.kind === "new") {
      if (checkUuid(h.headId, "household.headId", errors, "新しい世帯主") && !ids.includes(h.headId)) {
        errors.add("household.headId", "新しい世帯主は転居する方から選んでください");
      }
      const others = ids.filter((id) => id !== h.headId);
      const rel = checkRelationships(h.relationships, "household.relationships", errors, others);
      for (const id of Object.keys(rel)) {
        if (!others.includes(id))
          errors.add(`household.relationships.${id}`, "転居する方（世帯主以外）ではありません");
      }
    }
    if (h.kind === "join") {
      checkUuid(h.householdId, "household.householdId", errors, "世帯");
      const rel = checkRelationships(h.relationships, "household.relationships", errors, ids);
      for (const id of Object.keys(rel)) {
        if (!ids.includes(id)) errors.add(`household.relationships.${id}`, "転居する方ではありません");
      }
    }
  },
  async execute(w, input) {
    const movers = await w.lock(input.residentIds, (i) => `residentIds.${i}`);
    const fromHousehold = oneHousehold(movers, "residentIds");
    const { living } = await w.lockHousehold(fromHousehold, "residentIds");
    const moving = new Set(input.residentIds);
    const h = input.household;
    const meta = {
      kind: "relocation" as const,
      origin: "notification" as const,
      effectiveDate: input.movedOn,
      notifiedOn: input.notifiedOn,
      late: notificationTiming("relocation", input.movedOn, input.notifiedOn) === "late",
    };

    let householdId = fromHousehold;
    let address: ReturnType<typeof addressItems>;
    if (h.kind === "same") {
      if (living.some((m) => !moving.has(m.row.id))) {
        fieldError(
          "residentIds",
          "世帯ごとの転居では、世帯の全員を指定してください（一部の方は新しい世帯か既存の世帯へ）",
        );
      }
      address = requireAddress(w, input.address, "address");
    } else {
      if (living.every((m) => moving.has(m.row.id)) && h.kind === "new") {
        fieldError("household", "世帯の全員が転居するときは、世帯ごとの転居（same）としてください");
      }
      assertHeadNotLeftBehind(living, moving, "residentIds");
      if (h.kind === "new") {
        address = requireAddress(w, input.address, "address");
        householdId = await w.newHousehold();
      } else {
        if (h.householdId === fromHousehold) fieldError("household.householdId", "転居前と同じ世帯です");
        const target = await w.lockHousehold(h.householdId, "household.householdId");
        const head = target.living.find((m) => m.state.relationship === HEAD);
        if (!head) fieldError("household.householdId", "この世帯には現在住んでいる方（世帯主）がいません");
        address = { ...addressOf(head.state), addressLine: head.state.addressLine };
        if (input.address !== undefined && input.address !== null) {
          const given = requireAddress(w, input.address, "address");
          if (!sameAddress(given, address)) fieldError("address", "加入する世帯の住所と異なります");
        }
        householdId = h.householdId;
      }
    }
    const first = movers[0]!.state;
    if (sameAddress(addressOf(first), address) && householdId === fromHousehold) {
      fieldError("address", "転居前と同じ住所です");
    }
    for (const p of movers) {
      const relationship =
        h.kind === "same"
          ? p.state.relationship
          : h.kind === "new" && p.row.id === h.headId
            ? HEAD
            : (h.relationships[p.row.id] ?? p.state.relationship);
      await w.change(
        p.row.id,
        {
          ...p.state,
          householdId,
          relationship,
          ...address,
          addressSince: input.movedOn,
          addressNotifiedOn: input.notifiedOn,
          previousAddress: p.state.addressLine,
        },
        meta,
      );
    }
  },
};

/** 転居. */
export function relocation(ctx: CommandContext, input: RelocationInput): Promise<CommandResult> {
  return runCommand(ctx, relocationCommand, input);
}

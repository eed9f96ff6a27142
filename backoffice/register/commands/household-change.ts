/**
 * 世帯変更 (住基法 第25条): change of head (世帯主変更), split (世帯分離), merge (世帯合併), and
 * change of composition (続柄の変更). Every household keeps exactly one head among its living
 * members; a merge needs both households at the same address (otherwise it is a 転居).
 */
import { FieldErrors, fieldError } from "../errors.js";
import { addressOf, HEAD, type ResidentState, sameAddress } from "../record.js";
import { daysBetween, type IsoDate, notificationDeadline } from "../time-rules.js";
import { checkDate, checkIdList, checkRelationships, checkUuid, isObject } from "../validation.js";
import {
  type ChangeMeta,
  type ChangeWriter,
  type CommandContext,
  type CommandInputBase,
  type CommandResult,
  type CommandSpec,
  runCommand,
} from "./runner.js";

export type HouseholdChangeSpec =
  /** 世帯主変更: the new head, and every other member's 続柄 to the new head. */
  | { type: "changeHead"; householdId: string; newHeadId: string; relationships: Record<string, string> }
  /**
   * 世帯分離: some members form a new household at the same address. If the head leaves, the
   * members who stay name their own new head (`remaining`).
   */
  | {
      type: "split";
      householdId: string;
      memberIds: string[];
      newHeadId: string;
      relationships: Record<string, string>;
      remaining?: { newHeadId: string; relationships: Record<string, string> } | null;
    }
  /** 世帯合併: every member of `from` joins `into` (same address); 続柄 to the head of `into`. */
  | { type: "merge"; fromHouseholdId: string; intoHouseholdId: string; relationships: Record<string, string> }
  /** 続柄の変更 (e.g. 同居人 → 妻(未届)); the head stays. */
  | { type: "composition"; householdId: string; relationships: Record<string, string> };

export interface HouseholdChangeInput extends CommandInputBase {
  /** 異動日 */
  effectiveDate: IsoDate;
  notifiedOn: IsoDate;
  change: HouseholdChangeSpec;
}

function checkSpec(value: unknown, errors: FieldErrors): void {
  const path = "change";
  if (!isObject(value) || !["changeHead", "split", "merge", "composition"].includes(value.type as string)) {
    errors.add(path, "世帯変更の種類（changeHead・split・merge・composition）を指定してください");
    return;
  }
  switch (value.type) {
    case "changeHead":
      checkUuid(value.householdId, `${path}.householdId`, errors, "世帯");
      checkUuid(value.newHeadId, `${path}.newHeadId`, errors, "新しい世帯主");
      checkRelationships(value.relationships, `${path}.relationships`, errors, []);
      break;
    case "split": {
      checkUuid(value.householdId, `${path}.householdId`, errors, "世帯");
      const ids = checkIdList(value.memberIds, `${path}.memberIds`, errors, "分離する方");
      if (
        checkUuid(value.newHeadId, `${path}.newHeadId`, errors, "新しい世帯の世帯主") &&
        !ids.includes(value.newHeadId)
      ) {
        errors.add(`${path}.newHeadId`, "新しい世帯の世帯主は分離する方から選んでください");
      }
      checkRelationships(
        value.relationships,
        `${path}.relationships`,
        errors,
        ids.filter((id) => id !== value.newHeadId),
      );
      if (value.remaining !== undefined && value.remaining !== null) {
        if (!isObject(value.remaining))
          errors.add(`${path}.remaining`, "残る世帯の世帯主の指定が正しくありません");
        else {
          checkUuid(value.remaining.newHeadId, `${path}.remaining.newHeadId`, errors, "残る世帯の世帯主");
          checkRelationships(value.remaining.relationships, `${path}.remaining.relationships`, errors, []);
        }
      }
      break;
    }
    case "merge":
      checkUuid(value.fromHouseholdId, `${path}.fromHouseholdId`, errors, "合併する世帯");
      checkUuid(value.intoHouseholdId, `${path}.intoHouseholdId`, errors, "合併先の世帯");
      if (value.fromHouseholdId === value.intoHouseholdId) {
        errors.add(`${path}.intoHouseholdId`, "同じ世帯どうしは合併できません");
      }
      checkRelationships(value.relationships, `${path}.relationships`, errors, []);
      break;
    default:
      checkUuid(value.householdId, `${path}.householdId`, errors, "世帯");
      checkRelationships(value.relationships, `${path}.relationships`, errors, []);
      if (isObject(value.relationships) && Object.keys(value.relationships).length === 0) {
        errors.add(`${path}.relationships`, "変更する続柄を指定してください");
      }
  }
}

type Member = { row: { id: string }; state: ResidentState };

/** Every member of `members` other than `except` must have a 続柄 in `relationships`; no one else may. */
function requireRelationships(
  members: Member[],
  except: string | null,
  relationships: Record<string, string>,
  path: string,
): void {
  const errors = new FieldErrors();
  const ids = new Set(members.map((m) => m.row.id));
  for (const m of members) {
    if (m.row.id !== except && !(m.row.id in relationships)) {
      errors.add(`${path}.${m.row.id}`, "新しい世帯主との続柄を指定してください");
    }
  }
  for (const id of Object.keys(relationships)) {
    if (!ids.has(id) || id === except) errors.add(`${path}.${id}`, "この世帯変更の対象の方ではありません");
  }
  errors.throwIfAny();
}

async function write(
  w: ChangeWriter,
  member: Member,
  householdId: string,
  relationship: string,
  meta: ChangeMeta,
): Promise<boolean> {
  const state = w.current(member.row.id).state;
  if (state.householdId === householdId && state.relationship === relationship) return false;
  await w.change(member.row.id, { ...state, householdId, relationship }, meta);
  return true;
}

export const householdChangeCommand: CommandSpec<HouseholdChangeInput> = {
  command: "householdChange",
  validate(input, errors, today) {
    const effective = checkDate(input.effectiveDate, "effectiveDate", errors, "異動日", { notAfter: today });
    const notified = checkDate(input.notifiedOn, "notifiedOn", errors, "届出日", { notAfter: today });
    if (effective && notified && daysBetween(effective, notified) < 0) {
      errors.add("notifiedOn", "世帯変更届は異動の日以後に届け出てください");
    }
    checkSpec(input.change, errors);
  },
  async execute(w, input) {
    const meta: ChangeMeta = {
      kind: "householdChange",
      origin: "notification",
      effectiveDate: input.effectiveDate,
      notifiedOn: input.notifiedOn,
      late: daysBetween(notificationDeadline(input.effectiveDate), input.notifiedOn) > 0,
    };
    const c = input.change;
    let changed = 0;
    const count = (b: boolean) => {
      if (b) changed++;
    };
    switch (c.type) {
      case "changeHead": {
        const { living } = await w.lockHousehold(c.householdId, "change.householdId");
        const newHead = living.find((m) => m.row.id === c.newHeadId);
        if (!newHead) fieldError("change.newHeadId", "新しい世帯主はこの世帯の方から選んでください");
        if (newHead.state.relationship === HEAD) fieldError("change.newHeadId", "この方はすでに世帯主です");
        requireRelationships(living, c.newHeadId, c.relationships, "change.relationships");
        for (const m of living) {
          count(
            await write(
              w,
              m,
              c.householdId,
              m.row.id === c.newHeadId ? HEAD : c.relationships[m.row.id]!,
              meta,
            ),
          );
        }
        break;
      }
      case "split": {
        const { living } = await w.lockHousehold(c.householdId, "change.householdId");
        const leaving = new Set(c.memberIds);
        const errors = new FieldErrors();
        c.memberIds.forEach((id, i) => {
          if (!living.some((m) => m.row.id === id))
            errors.add(`change.memberIds.${i}`, "この世帯の方ではありません");
        });
        errors.throwIfAny();
        const staying = living.filter((m) => !leaving.has(m.row.id));
        if (staying.length === 0) fieldError("change.memberIds", "世帯の全員を分離することはできません");
        const movers = living.filter((m) => leaving.has(m.row.id));
        requireRelationships(movers, c.newHeadId, c.relationships, "change.relationships");
        const headLeaves = movers.some((m) => m.state.relationship === HEAD);
        if (headLeaves) {
          if (!c.remaining)
            fieldError("change.remaining", "世帯主が分離するため、残る世帯の新しい世帯主を指定してください");
          if (!staying.some((m) => m.row.id === c.remaining!.newHeadId)) {
            fieldError("change.remaining.newHeadId", "残る世帯の世帯主は残る方から選んでください");
          }
          requireRelationships(
            staying,
            c.remaining.newHeadId,
            c.remaining.relationships,
            "change.remaining.relationships",
          );
        } else if (c.remaining) {
          fieldError("change.remaining", "世帯主は残るため、残る世帯の世帯主の指定は不要です");
        }
        const newHousehold = await w.newHousehold();
        for (const m of movers) {
          count(
            await write(
              w,
              m,
              newHousehold,
              m.row.id === c.newHeadId ? HEAD : c.relationships[m.row.id]!,
              meta,
            ),
          );
        }
        if (headLeaves && c.remaining) {
          const r = c.remaining;
          for (const m of staying) {
            count(
              await write(
                w,
                m,
                c.householdId,
                m.row.id === r.newHeadId ? HEAD : r.relationships[m.row.id]!,
                meta,
              ),
            );
          }
        }
        break;
      }
      case "merge": {
        // Lock both households in id order, as every other command locks records.
        const [first, second] = [c.fromHouseholdId, c.intoHouseholdId].sort();
        const a = await w.lockHousehold(
          first!,
          first === c.fromHouseholdId ? "change.fromHouseholdId" : "change.intoHouseholdId",
        );
        const b = await w.lockHousehold(
          second!,
          second === c.fromHouseholdId ? "change.fromHouseholdId" : "change.intoHouseholdId",
        );
        const from = first === c.fromHouseholdId ? a : b;
        const into = first === c.fromHouseholdId ? b : a;
        if (from.living.length === 0)
          fieldError("change.fromHouseholdId", "この世帯には現在住んでいる方がいません");
        const intoHead = into.living.find((m) => m.state.relationship === HEAD);
        if (!intoHead)
          fieldError("change.intoHouseholdId", "合併先の世帯には現在住んでいる方（世帯主）がいません");
        if (from.living.some((m) => !sameAddress(addressOf(m.state), addressOf(intoHead.state)))) {
          fieldError(
            "change.intoHouseholdId",
            "住所が異なる世帯とは合併できません（住所が変わる場合は転居届です）",
          );
        }
        if (
          from.living.some((m) => m.state.status !== "active") ||
          into.living.some((m) => m.state.status !== "active")
        ) {
          fieldError("change", "転出予定の方がいる世帯は合併できません（先に転出取消を行ってください）");
        }
        requireRelationships(from.living, null, c.relationships, "change.relationships");
        for (const m of from.living) {
          count(await write(w, m, c.intoHouseholdId, c.relationships[m.row.id]!, meta));
        }
        break;
      }
      case "composition": {
        const { living } = await w.lockHousehold(c.householdId, "change.householdId");
        for (const [id, rel] of Object.entries(c.relationships)) {
          const m = living.find((x) => x.row.id === id);
          if (!m) fieldError(`change.relationships.${id}`, "この世帯の方ではありません");
          if (m.state.relationship === HEAD) {
            fieldError(
              `change.relationships.${id}`,
              "世帯主の続柄は変更できません（世帯主の変更は changeHead）",
            );
          }
          count(await write(w, m, c.householdId, rel, meta));
        }
        break;
      }
    }
    if (changed === 0) fieldError("change", "変更する内容がありません");
  },
};

/** 世帯変更. */
export function householdChange(ctx: CommandContext, input: HouseholdChangeInput): Promise<CommandResult> {
  return runCommand(ctx, householdChangeCommand, input);
}

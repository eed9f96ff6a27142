/**
 * What a counter change form's action does (routes stay thin): check the form with its schema,
 * resolve the residents named by 住民票コード, build the register command's input, run the
 * command (or file its approval request), and turn the register's refusals into field errors.
 * A repeated submit (same request key) has one effect and gets the first result.
 */
import { randomUUID } from "node:crypto";
import type { Submission } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod";
import { type Actor, ApprovalError, authorizeOrAudit } from "../../register/authorization.js";
import type { HouseholdChangeSpec, HouseholdTarget } from "../../register/commands/index.js";
import {
  birth,
  type CommandContext,
  type CommandResult,
  death,
  emigration,
  householdChange,
  type IncomingPerson,
  immigration,
  moveIn,
  requestChangeCancellation,
  requestExOfficioCorrection,
  requestExOfficioEntry,
  requestExOfficioRemoval,
} from "../../register/commands/index.js";
import {
  ConcurrentModificationError,
  RegisterValidationError,
  RequestKeyReusedError,
} from "../../register/errors.js";
import { IllegalTransitionError } from "../../register/lifecycle.js";
import type { ForeignerItems } from "../../register/record.js";
import { latestChanges, loadMunicipality } from "../../register/records.queries.js";
import { findByResidentCode, type ResidentHit } from "../../register/search.queries.js";
import type { AddressInput } from "../../register/validation.js";
import { FORM_LEVEL, type FormRefs, registerErrorsToForm } from "./field-paths.js";
import { CHANGE_FORMS, type ChangeFormKind } from "./kinds.js";
import {
  claimCounterRequest,
  completeCounterRequest,
  getCounterRequest,
  releaseCounterRequest,
  storedCommandRequest,
} from "./requests.queries.js";
import {
  correctionsOf,
  type FormContext,
  type FormValue,
  formSchema,
  type PersonFormValue,
} from "./schema.js";
import { sealSummary } from "./seal.js";
import { summarize } from "./summary.js";

export interface StaffCommandContext extends CommandContext {
  actor: Actor;
}

// biome-ignore lint/suspicious/noExplicitAny: Conform's reply for any form
export type FormReply = ReturnType<Submission<any>["reply"]>;

export type SubmitOutcome =
  | { status: "invalid"; reply: FormReply }
  | { status: "done"; requestKey: string; result: CommandResult }
  | { status: "requested"; approvalId: string; requestKey: string };

/** The towns and today the schema checks against (also what the loader gives the page). */
export async function formContext(ctx: StaffCommandContext): Promise<FormContext> {
  const m = await loadMunicipality(ctx.db, ctx.actor.lgCode);
  return { today: ctx.today, towns: m?.towns ?? [] };
}

const PURPOSE = (kind: ChangeFormKind) => `住民異動届の処理（${CHANGE_FORMS[kind].title}）`;
const NOT_FOUND = "この住民票コードの方は、この市区町村の住民記録にありません";

/** Residents named on the form by 住民票コード, resolved to records (each look-up audited). */
class Residents {
  readonly refs: FormRefs = { residents: {} };
  readonly errors: Record<string, string[]> = {};
  readonly hits = new Map<string, ResidentHit>();

  constructor(
    private readonly ctx: StaffCommandContext,
    private readonly kind: ChangeFormKind,
  ) {}

  async get(
    code: string,
    field: string,
    opts: { includeRemoved?: boolean } = {},
  ): Promise<ResidentHit | undefined> {
    const hit = await findByResidentCode(this.ctx.db, {
      lgCode: this.ctx.actor.lgCode,
      actor: this.ctx.actor,
      purpose: PURPOSE(this.kind),
      residentCode: code,
      ...(opts.includeRemoved ? { includeRemoved: true } : {}),
    });
    if (!hit) {
      this.errors[field] = [...(this.errors[field] ?? []), NOT_FOUND];
      return undefined;
    }
    this.refs.residents[hit.id] ??= field;
    this.hits.set(field, hit);
    return hit;
  }

  async id(code: string, field: string): Promise<string> {
    return (await this.get(code, field))?.id ?? "";
  }

  async household(code: string, field: string): Promise<string> {
    return (await this.get(code, field))?.householdId ?? "";
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

function toAddress(a: {
  town: string;
  chome?: number | undefined;
  block: number;
  lot?: number | undefined;
  building?: string | undefined;
}): AddressInput {
  return {
    town: a.town,
    chome: a.chome ?? 0,
    block: a.block,
    lot: a.lot ?? null,
    building: a.building ?? null,
  };
}

function toPerson(p: PersonFormValue): IncomingPerson {
  const japanese = p.nationality === "JP";
  const f = p.foreigner;
  const foreigner =
    !japanese && f?.category
      ? (Object.fromEntries(
          Object.entries(f).filter(([, v]) => v !== undefined && v !== ""),
        ) as unknown as ForeignerItems)
      : null;
  return {
    name: p.name,
    birthDate: p.birthDate,
    sex: p.sex,
    nationality: p.nationality,
    honseki:
      japanese && p.honseki
        ? { address: p.honseki.address ?? "", headOfFamily: p.honseki.headOfFamily ?? "" }
        : null,
    foreigner,
    relationship: p.relationship,
    ...(p.residentCode ? { residentCode: p.residentCode } : {}),
    ...(p.myNumber ? { myNumber: p.myNumber } : {}),
  };
}

async function target(
  r: Residents,
  v: {
    household: { kind: "new" | "join"; memberCode?: string | undefined };
    address?: Parameters<typeof toAddress>[0] | undefined;
  },
): Promise<{ household: HouseholdTarget; address?: AddressInput }> {
  if (v.household.kind === "join") {
    return {
      household: {
        kind: "join",
        householdId: await r.household(v.household.memberCode ?? "", "household.memberCode"),
      },
    };
  }
  return { household: { kind: "new" }, ...(v.address ? { address: toAddress(v.address) } : {}) };
}

async function relationshipRows(
  r: Residents,
  rows: readonly { residentCode: string; relationship: string }[],
  list: string,
): Promise<{ ids: string[]; relationships: Record<string, string> }> {
  const ids: string[] = [];
  const relationships: Record<string, string> = {};
  for (const [i, row] of rows.entries()) {
    const id = await r.id(row.residentCode, `${list}[${i}].residentCode`);
    ids.push(id);
    if (id) relationships[id] = row.relationship;
  }
  return { ids, relationships };
}

type Run = (ctx: StaffCommandContext) => Promise<{ result: CommandResult } | { approvalId: string }>;

/** Builds what to run from the checked form value; null when a resident could not be resolved. */
async function plan(
  ctx: StaffCommandContext,
  kind: ChangeFormKind,
  value: unknown,
  r: Residents,
): Promise<Run | null> {
  const lgCode = ctx.actor.lgCode;
  switch (kind) {
    case "moveIn": {
      const v = value as FormValue<"moveIn">;
      const place = await target(r, v);
      if (!r.ok) return null;
      const input = {
        requestKey: v.requestKey,
        lgCode,
        movedInOn: v.movedInOn,
        notifiedOn: v.notifiedOn,
        certificate: v.certificate,
        persons: v.persons.map(toPerson),
        ...place,
      };
      return async (c) => ({ result: await moveIn(c, input) });
    }
    case "birth": {
      const v = value as FormValue<"birth">;
      const place = await target(r, v);
      if (!r.ok) return null;
      const { residentCode: _none, ...child } = toPerson(v.child);
      const input = { requestKey: v.requestKey, lgCode, notifiedOn: v.notifiedOn, child, ...place };
      return async (c) => ({ result: await birth(c, input) });
    }
    case "death": {
      const v = value as FormValue<"death">;
      const residentId = await r.id(v.residentCode, "residentCode");
      const newHead = v.newHeadCode ? { residentId: await r.id(v.newHeadCode, "newHeadCode") } : null;
      if (!r.ok) return null;
      const input = {
        requestKey: v.requestKey,
        lgCode,
        residentId,
        diedOn: v.diedOn,
        notifiedOn: v.notifiedOn,
        newHead,
      };
      return async (c) => ({ result: await death(c, input) });
    }
    case "householdChange": {
      const v = value as FormValue<"householdChange">;
      const householdId = await r.household(v.householdCode, "householdCode");
      const newHeadId = v.newHeadCode ? await r.id(v.newHeadCode, "newHeadCode") : "";
      const rows = await relationshipRows(r, v.relationships, "relationships");
      let change: HouseholdChangeSpec;
      switch (v.type) {
        case "changeHead":
          change = { type: "changeHead", householdId, newHeadId, relationships: rows.relationships };
          break;
        case "split": {
          const remainingHeadId = v.remainingHeadCode
            ? await r.id(v.remainingHeadCode, "remainingHeadCode")
            : "";
          const remaining = await relationshipRows(r, v.remainingRelationships, "remainingRelationships");
          change = {
            type: "split",
            householdId,
            memberIds: [newHeadId, ...rows.ids],
            newHeadId,
            relationships: rows.relationships,
            remaining: v.remainingHeadCode
              ? { newHeadId: remainingHeadId, relationships: remaining.relationships }
              : null,
          };
          break;
        }
        case "merge":
          change = {
            type: "merge",
            fromHouseholdId: householdId,
            intoHouseholdId: await r.household(v.intoCode ?? "", "intoCode"),
            relationships: rows.relationships,
          };
          break;
        default:
          change = { type: "composition", householdId, relationships: rows.relationships };
      }
      if (!r.ok) return null;
      const input = {
        requestKey: v.requestKey,
        lgCode,
        effectiveDate: v.effectiveDate,
        notifiedOn: v.notifiedOn,
        change,
      };
      return async (c) => ({ result: await householdChange(c, input) });
    }
    case "emigration": {
      const v = value as FormValue<"emigration">;
      const residentIds: string[] = [];
      for (const [i, code] of v.residentCodes.entries())
        residentIds.push(await r.id(code, `residentCodes[${i}]`));
      if (!r.ok) return null;
      const input = {
        requestKey: v.requestKey,
        lgCode,
        residentIds,
        departedOn: v.departedOn,
        notifiedOn: v.notifiedOn,
        destinationAddress: v.destinationAddress,
      };
      return async (c) => ({ result: await emigration(c, input) });
    }
    case "immigration": {
      const v = value as FormValue<"immigration">;
      const place = await target(r, v);
      if (!r.ok) return null;
      const input = {
        requestKey: v.requestKey,
        lgCode,
        movedInOn: v.movedInOn,
        notifiedOn: v.notifiedOn,
        previousAddress: v.previousAddress,
        persons: v.persons.map(toPerson),
        ...place,
      };
      return async (c) => ({ result: await immigration(c, input) });
    }
    case "exOfficioEntry": {
      const v = value as FormValue<"exOfficioEntry">;
      const place = await target(r, v);
      if (!r.ok) return null;
      const input = {
        lgCode,
        effectiveDate: v.effectiveDate,
        reason: v.reason,
        previousAddress: v.previousAddress ?? null,
        persons: v.persons.map(toPerson),
        ...place,
      };
      return async (c) => ({ approvalId: await requestExOfficioEntry(c, input) });
    }
    case "exOfficioRemoval": {
      const v = value as FormValue<"exOfficioRemoval">;
      const residentIds: string[] = [];
      for (const [i, code] of v.residentCodes.entries())
        residentIds.push(await r.id(code, `residentCodes[${i}]`));
      const newHead = v.newHeadCode ? { residentId: await r.id(v.newHeadCode, "newHeadCode") } : null;
      if (!r.ok) return null;
      const input = { lgCode, residentIds, effectiveDate: v.effectiveDate, reason: v.reason, newHead };
      return async (c) => ({ approvalId: await requestExOfficioRemoval(c, input) });
    }
    case "exOfficioCorrection": {
      const v = value as FormValue<"exOfficioCorrection">;
      const residentId = await r.id(v.residentCode, "residentCode");
      if (!r.ok) return null;
      const corrections = correctionsOf(v.corrections);
      if (corrections.address)
        corrections.address = toAddress(corrections.address as Parameters<typeof toAddress>[0]);
      const input = {
        lgCode,
        residentId,
        reason: v.reason,
        corrections,
        ...(v.effectiveDate ? { effectiveDate: v.effectiveDate } : {}),
      };
      return async (c) => ({ approvalId: await requestExOfficioCorrection(c, input) });
    }
    case "changeCancellation": {
      const v = value as FormValue<"changeCancellation">;
      const hit = await r.get(v.residentCode, "residentCode", { includeRemoved: true });
      if (!hit) return null;
      // Only a record's newest change can be cancelled (cancellation.ts): that is the one meant.
      const latest = (await latestChanges(ctx.db, [hit.id])).get(hit.id);
      if (!latest) {
        r.errors.residentCode = ["この方には取り消せる異動がありません"];
        return null;
      }
      const input = {
        lgCode,
        changeId: latest.id,
        reason: v.reason,
        ...(v.effectiveDate ? { effectiveDate: v.effectiveDate } : {}),
      };
      return async (c) => ({ approvalId: await requestChangeCancellation(c, input) });
    }
  }
}

function invalid(
  submission: Submission<unknown>,
  fieldErrors: Record<string, string[]>,
): { status: "invalid"; reply: FormReply } {
  const { [FORM_LEVEL]: formErrors, ...fields } = fieldErrors;
  return {
    status: "invalid",
    reply: submission.reply({ ...(formErrors ? { formErrors } : {}), fieldErrors: fields }),
  };
}

/** Runs one counter change form's submit (see the module comment). */
export async function submitChange(
  ctx: StaffCommandContext,
  kind: ChangeFormKind,
  formData: FormData,
): Promise<SubmitOutcome> {
  const actor = ctx.actor;
  // Refused roles and other municipalities first, audited (the page's role check came before).
  await authorizeOrAudit(ctx.db, actor, kind, actor.lgCode);
  const submission = parseWithZod(formData, { schema: formSchema(kind, await formContext(ctx)) });
  if (submission.status !== "success") return { status: "invalid", reply: submission.reply() };
  const value = submission.value as { requestKey: string };
  const requestKey = value.requestKey;
  const approval = CHANGE_FORMS[kind].needsApproval;

  // A repeated submit: the first result, before anything is looked up again (after a 死亡 the
  // person is no longer a current resident, so resolving would fail where replaying succeeds).
  if (!approval) {
    const stored = await storedCommandRequest(ctx.db, requestKey);
    if (stored) {
      if (stored.lgCode !== actor.lgCode || stored.command !== kind) {
        return invalid(submission, { [FORM_LEVEL]: [new RequestKeyReusedError(requestKey).message] });
      }
      if (stored.result)
        return {
          status: "done",
          requestKey,
          result: { ...(stored.result as CommandResult), replayed: true },
        };
    }
  } else {
    const earlier = await getCounterRequest(ctx.db, requestKey);
    if (earlier) {
      if (
        earlier.lgCode !== actor.lgCode ||
        earlier.command !== kind ||
        earlier.requestedBy !== actor.staffId
      ) {
        return invalid(submission, { [FORM_LEVEL]: [new RequestKeyReusedError(requestKey).message] });
      }
      if (earlier.approvalId) return { status: "requested", approvalId: earlier.approvalId, requestKey };
      return invalid(submission, {
        [FORM_LEVEL]: ["同じ申請を処理しています。しばらくしてから申請一覧を確認してください"],
      });
    }
  }

  const residents = new Residents(ctx, kind);
  const run = await plan(ctx, kind, submission.value, residents);
  if (!run || !residents.ok) return invalid(submission, residents.errors);

  if (
    approval &&
    !(await claimCounterRequest(ctx.db, {
      requestKey,
      lgCode: actor.lgCode,
      command: kind,
      requestedBy: actor.staffId,
    }))
  ) {
    return invalid(submission, {
      [FORM_LEVEL]: ["同じ申請を処理しています。しばらくしてから申請一覧を確認してください"],
    });
  }
  try {
    const outcome = await run(ctx);
    if ("result" in outcome) return { status: "done", requestKey, result: outcome.result };
    const summary = summarize(kind, submission.value, residents.hits);
    await completeCounterRequest(
      ctx.db,
      requestKey,
      outcome.approvalId,
      sealSummary(summary, ctx.keys, outcome.approvalId),
    );
    return { status: "requested", approvalId: outcome.approvalId, requestKey };
  } catch (err) {
    if (approval) await releaseCounterRequest(ctx.db, requestKey);
    const mapped = refusal(kind, err, residents.refs);
    if (mapped) return invalid(submission, mapped);
    throw err;
  }
}

/** The register's refusals as form errors; anything else is not the form's to show (rethrown). */
export function refusal(kind: ChangeFormKind, err: unknown, refs: FormRefs): Record<string, string[]> | null {
  if (err instanceof RegisterValidationError) return registerErrorsToForm(kind, err.fields, refs);
  if (
    err instanceof IllegalTransitionError ||
    err instanceof ConcurrentModificationError ||
    err instanceof RequestKeyReusedError ||
    err instanceof ApprovalError
  ) {
    return { [FORM_LEVEL]: [err.message] };
  }
  return null;
}

/** A new request key for a form being shown (a double submit then has one effect). */
export function newRequestKey(): string {
  return `counter:${randomUUID()}`;
}

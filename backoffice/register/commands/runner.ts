/**
 * How every change command runs (issue 3, item 2): authorize → validate → one transaction that
 * claims the request key, locks what it reads, checks the lifecycle (`transition`), writes the
 * record, its history row, the outbox messages and the audit rows, and stores its result under
 * the request key. A second call with the same key returns the first result and writes nothing.
 * A failure anywhere rolls everything back.
 */
import { createHmac, randomInt, randomUUID } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../../db/types/backoffice.js";
import { enqueue } from "../../../jobs/outbox.js";
import { type AuditActor, appendAudit, canonicalJson } from "../audit.js";
import {
  type Actor,
  authorizeOrAudit,
  type CommandName,
  consumeApproval,
  requestApproval,
  requiresApproval,
} from "../authorization.js";
import {
  ConcurrentModificationError,
  FieldErrors,
  fieldError,
  RegisterValidationError,
  RequestKeyReusedError,
} from "../errors.js";
import { makeResidentCode } from "../identifiers.js";
import { type ChangeKind, type RecordStatus, transition } from "../lifecycle.js";
import { type MyNumberKeys, sealMyNumber } from "../my-number.js";
import {
  diffRecords,
  IDENTITY_FIELDS,
  type ResidentRow,
  type ResidentState,
  retainUntil,
  rowToState,
  stateToRow,
  statusOf,
  touchedFields,
} from "../record.js";
import {
  claimRequest,
  findCurrentByMyNumberIndex,
  findCurrentByResidentCode,
  householdsWithoutOneHead,
  insertChange,
  insertHousehold,
  insertResident,
  loadMunicipality,
  lockHousehold,
  lockResidents,
  residentCodeInUse,
  storeRequestResult,
  updateResident,
} from "../records.queries.js";
import type { IsoDate } from "../time-rules.js";
import { checkLgCode, checkRequestKey, checkUuid, isObject, type Municipality } from "../validation.js";

/** A pipeline worker acting on its own (e.g. `{ system: "intake" }`); not subject to staff roles. */
export interface SystemActor {
  system: string;
}
export type CommandActor = Actor | SystemActor;

export interface CommandContext {
  /** The database, or a transaction to run inside (e.g. a processor's inbox transaction). */
  db: Kysely<BackofficeDatabase>;
  keys: MyNumberKeys;
  actor: CommandActor;
  /** The business day, passed in: nothing in the register reads the clock for dates. */
  today: IsoDate;
}

export interface CommandInputBase {
  /** Idempotency key: the same key returns the first result and writes nothing. */
  requestKey: string;
  lgCode: string;
  /** Versions of the records as the caller saw them (optimistic concurrency). */
  expectedVersions?: Record<string, number>;
}

/** Input of a command that needs a supervisor's approval: the approved request's id. */
export interface ApprovedCommandInput {
  requestKey: string;
  lgCode: string;
  approvalId: string;
}

export interface CommandResult {
  command: CommandName;
  requestKey: string;
  /** The history rows written, in order. */
  changeIds: string[];
  /** The records changed or created, in the order of changeIds (a person may appear twice). */
  residentIds: string[];
  /** Households created by the command. */
  householdIds: string[];
  /** Any change was filed after its period (届出期間経過). */
  late: boolean;
  approvalId: string | null;
  /** True when this call only returned the result of an earlier call with the same key. */
  replayed: boolean;
}

export interface ChangeMeta {
  kind: ChangeKind;
  origin: "notification" | "exOfficio";
  /** 異動日 */
  effectiveDate: IsoDate;
  /** 届出日; null for 職権. */
  notifiedOn: IsoDate | null;
  late?: boolean;
  reason?: string | null;
}

export interface CommandSpec<I> {
  command: CommandName;
  /** Structural checks of the input (no database); adds field errors. */
  validate(input: Record<string, unknown>, errors: FieldErrors, today: IsoDate): void;
  /** Reads (with locks), checks against the register, and writes through the writer. */
  execute(w: ChangeWriter, input: I): Promise<void>;
}

export function isSystemActor(actor: CommandActor): actor is SystemActor {
  return "system" in actor;
}

function auditActor(actor: CommandActor, role: string | null): AuditActor {
  return isSystemActor(actor) ? { system: actor.system } : { staffId: actor.staffId, role: role ?? "" };
}

interface Current {
  row: ResidentRow;
  state: ResidentState;
  version: number;
}

const NOT_FOUND = "指定された住民の記録がありません";

/**
 * Everything a command writes goes through here, so that each change gets its transition, its
 * history row, its outbox messages and its audit row the same way.
 */
export class ChangeWriter {
  private readonly records = new Map<string, Current>();
  private readonly written: { changeId: string; residentId: string; kind: ChangeKind; late: boolean }[] = [];
  private readonly touchedHouseholds = new Set<string>();
  private readonly createdHouseholds: string[] = [];

  constructor(
    readonly trx: Transaction<BackofficeDatabase>,
    readonly ctx: CommandContext,
    readonly command: CommandName,
    readonly municipality: Municipality,
    readonly requestKey: string,
    private readonly role: string | null,
    private readonly expectedVersions: Record<string, number>,
    private readonly approval: { id: string; approvedBy: string } | null,
    private readonly dryRun: boolean,
  ) {}

  get lgCode(): string {
    return this.municipality.lgCode;
  }

  get today(): IsoDate {
    return this.ctx.today;
  }

  private remember(row: ResidentRow): Current {
    const known = this.records.get(row.id);
    if (known) return known;
    const expected = this.expectedVersions[row.id];
    if (expected !== undefined && expected !== row.version) {
      throw new ConcurrentModificationError(row.id, expected, row.version);
    }
    const current = { row, state: rowToState(row), version: row.version };
    this.records.set(row.id, current);
    return current;
  }

  /** Locks the records; a missing one (or one of another municipality) is a field error at `path`. */
  async lock(ids: readonly string[], path: (index: number) => string): Promise<Current[]> {
    const missing = ids.filter((id) => !this.records.has(id));
    const rows = await lockResidents(this.trx, missing);
    for (const row of rows) if (row.lg_code === this.lgCode) this.remember(row);
    const errors = new FieldErrors();
    ids.forEach((id, i) => {
      if (!this.records.has(id)) errors.add(path(i), NOT_FOUND);
    });
    errors.throwIfAny();
    return ids.map((id) => this.records.get(id)!);
  }

  async lockOne(id: string, path: string): Promise<Current> {
    return (await this.lock([id], () => path))[0]!;
  }

  /** Locks a household of this municipality and all its records; `living` are the active and 転出予定 ones. */
  async lockHousehold(householdId: string, path: string): Promise<{ members: Current[]; living: Current[] }> {
    const found = await lockHousehold(this.trx, householdId);
    if (!found || found.lgCode !== this.lgCode) fieldError(path, "指定された世帯がありません");
    const members = found.members.map((row) => this.records.get(row.id) ?? this.remember(row));
    return {
      members,
      living: members.filter((m) => m.state.status === "active" || m.state.status === "moveOutScheduled"),
    };
  }

  current(id: string): Current {
    const c = this.records.get(id);
    if (!c) throw new Error(`record ${id} was not locked by this command`);
    return c;
  }

  async newHousehold(): Promise<string> {
    const id = randomUUID();
    await insertHousehold(this.trx, { id, lgCode: this.lgCode });
    this.createdHouseholds.push(id);
    this.touchedHouseholds.add(id);
    return id;
  }

  /** 個人番号 sealed for storage: cipher and blind index as base64. */
  sealMyNumber(myNumber: string): { myNumberCipher: string; myNumberIndex: string } {
    const sealed = sealMyNumber(myNumber, this.ctx.keys);
    return {
      myNumberCipher: sealed.cipher.toString("base64"),
      myNumberIndex: sealed.index.toString("base64"),
    };
  }

  /** Refuses a 住民票コード or 個人番号 that a living record of this municipality already has. */
  async assertNotRegistered(
    state: Pick<ResidentState, "residentCode" | "myNumberIndex">,
    path: string,
    exceptId?: string,
  ): Promise<void> {
    const byCode = await findCurrentByResidentCode(this.trx, this.lgCode, state.residentCode);
    if (byCode && byCode.id !== exceptId) {
      fieldError(`${path}.residentCode`, "この住民票コードの方はすでに住民記録があります");
    }
    if (state.myNumberIndex !== null) {
      const byNumber = await findCurrentByMyNumberIndex(
        this.trx,
        this.lgCode,
        Buffer.from(state.myNumberIndex, "base64"),
      );
      if (byNumber && byNumber.id !== exceptId) {
        fieldError(`${path}.myNumber`, "この個人番号の方はすでに住民記録があります");
      }
    }
  }

  /**
   * A new 住民票コード for a person who has none (出生, first entry of a foreign resident). In
   * production the codes come from the block J-LIS allots to the municipality; here, a random
   * unused one.
   */
  async issueResidentCode(): Promise<string> {
    for (;;) {
      const code = makeResidentCode(String(randomInt(0, 10_000_000_000)).padStart(10, "0"));
      if (!(await residentCodeInUse(this.trx, code))) return code;
    }
  }

  /** Creates a record (a creating change from `none`). Returns the change id. */
  async create(residentId: string, next: ResidentState, meta: ChangeMeta): Promise<string> {
    const status = transition("none", meta.kind as Exclude<ChangeKind, "changeCancellation">);
    const state: ResidentState = { ...next, ...statusColumns(status, null, meta.effectiveDate) };
    await insertResident(this.trx, stateToRow(residentId, state, 1));
    const row = stateToRow(residentId, state, 1) as unknown as ResidentRow;
    this.records.set(residentId, { row, state, version: 1 });
    return this.record(residentId, null, state, meta, null);
  }

  /**
   * Changes a locked record. The status comes from the lifecycle; for a 異動取消, `previous` is
   * the status before the cancelled change.
   */
  async change(
    residentId: string,
    next: ResidentState,
    meta: ChangeMeta,
    cancellation?: { previous: RecordStatus; cancelsChangeId: string },
  ): Promise<string> {
    const cur = this.current(residentId);
    const from = statusOf(cur.state);
    const status =
      meta.kind === "changeCancellation"
        ? transition(from, "changeCancellation", cancellation!.previous)
        : transition(from, meta.kind);
    const state: ResidentState =
      meta.kind === "changeCancellation"
        ? {
            ...next,
            status: status.state,
            removalReason: status.state === "removed" ? status.removalReason : null,
          }
        : { ...next, ...statusColumns(status, cur.state, meta.effectiveDate) };
    const row = stateToRow(residentId, state, cur.version + 1);
    const { id: _id, ...update } = row;
    if (!(await updateResident(this.trx, residentId, update, cur.version))) {
      throw new ConcurrentModificationError(residentId, cur.version, -1);
    }
    this.records.set(residentId, { row: row as unknown as ResidentRow, state, version: cur.version + 1 });
    return this.record(residentId, cur.state, state, meta, cancellation?.cancelsChangeId ?? null);
  }

  private async record(
    residentId: string,
    before: ResidentState | null,
    after: ResidentState,
    meta: ChangeMeta,
    cancelsChangeId: string | null,
  ): Promise<string> {
    const changeId = randomUUID();
    const diff = diffRecords(before, after);
    const actor = this.ctx.actor;
    await insertChange(this.trx, {
      id: changeId,
      lg_code: this.lgCode,
      resident_id: residentId,
      request_key: this.requestKey,
      kind: meta.kind,
      origin: meta.origin,
      effective_date: meta.effectiveDate,
      notified_on: meta.notifiedOn,
      staff_id: isSystemActor(actor) ? null : actor.staffId,
      staff_role: isSystemActor(actor) ? null : this.role,
      system_actor: isSystemActor(actor) ? actor.system : null,
      approval_id: this.approval?.id ?? null,
      approved_by: this.approval?.approvedBy ?? null,
      reason: meta.reason ?? null,
      late: meta.late ?? false,
      cancels_change_id: cancelsChangeId,
      before: JSON.stringify(diff.before),
      after: JSON.stringify(diff.after),
    });
    if (before) this.touchedHouseholds.add(before.householdId);
    this.touchedHouseholds.add(after.householdId);
    const touched = touchedFields(diff.before, diff.after);
    if (!this.dryRun) {
      // 本人確認情報 only when an item of it changed; the address systems hear of every change.
      if (touched.some((f) => (IDENTITY_FIELDS as readonly string[]).includes(f))) {
        await enqueue(this.trx, "messaging", {
          queue: "jukiNetIdentity",
          lgCode: this.lgCode,
          data: { changeId, residentId },
          orderingKey: residentId,
        });
      }
      await enqueue(this.trx, "messaging", {
        queue: "addressNotice",
        lgCode: this.lgCode,
        data: { changeId, residentId },
        orderingKey: residentId,
      });
    }
    this.written.push({ changeId, residentId, kind: meta.kind, late: meta.late ?? false });
    return changeId;
  }

  /** Household consistency, then the audit rows (last: they hold the chain's lock until commit). */
  async finish(): Promise<CommandResult> {
    const broken = await householdsWithoutOneHead(this.trx, [...this.touchedHouseholds]);
    if (broken.length > 0) {
      throw new RegisterValidationError({
        household:
          broken[0]!.heads === 0
            ? "世帯主のいない世帯ができてしまいます。新しい世帯主を指定してください"
            : "世帯主が二人以上の世帯ができてしまいます。世帯主は世帯に一人です",
      });
    }
    const result: CommandResult = {
      command: this.command,
      requestKey: this.requestKey,
      changeIds: this.written.map((c) => c.changeId),
      residentIds: this.written.map((c) => c.residentId),
      householdIds: [...this.createdHouseholds],
      late: this.written.some((c) => c.late),
      approvalId: this.approval?.id ?? null,
      replayed: false,
    };
    if (this.dryRun) return result;
    for (const c of this.written) {
      await appendAudit(this.trx, {
        lgCode: this.lgCode,
        actor: auditActor(this.ctx.actor, this.role),
        action: `command.${c.kind}`,
        subjectResidentId: c.residentId,
        detail: {
          command: this.command,
          changeId: c.changeId,
          late: c.late,
          ...(this.approval ? { approvalId: this.approval.id } : {}),
        },
      });
    }
    return result;
  }
}

function statusColumns(
  status: RecordStatus,
  before: ResidentState | null,
  effectiveDate: IsoDate,
): Pick<ResidentState, "status" | "removalReason" | "removedOn" | "retainUntil"> {
  if (status.state === "removed") {
    // A 除票 keeps the day it was removed; 150 years from then it may be erased.
    const removedOn = before?.status === "removed" && before.removedOn ? before.removedOn : effectiveDate;
    return {
      status: "removed",
      removalReason: status.removalReason,
      removedOn,
      retainUntil: retainUntil(removedOn),
    };
  }
  return { status: status.state, removalReason: null, removedOn: null, retainUntil: null };
}

function inTransaction<T>(
  db: Kysely<BackofficeDatabase>,
  fn: (trx: Transaction<BackofficeDatabase>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<BackofficeDatabase>) : db.transaction().execute(fn);
}

/** A keyed MAC of what was asked, so a reused key with other content is told apart without storing it. */
function payloadMac(keys: MyNumberKeys, command: string, lgCode: string, input: unknown): Buffer {
  return createHmac("sha256", keys.indexKey)
    .update(`juki:command-request:v1:${canonicalJson({ command, lgCode, input })}`, "utf8")
    .digest();
}

function checkBase(input: unknown, errors: FieldErrors): input is Record<string, unknown> {
  if (!isObject(input)) {
    errors.add("input", "入力がありません");
    return false;
  }
  checkRequestKey(input.requestKey, errors);
  checkLgCode(input.lgCode, "lgCode", errors);
  if (input.expectedVersions !== undefined) {
    if (
      !isObject(input.expectedVersions) ||
      Object.values(input.expectedVersions).some(
        (v) => typeof v !== "number" || !Number.isInteger(v) || v < 1,
      )
    ) {
      errors.add("expectedVersions", "版の指定が正しくありません");
    }
  }
  return true;
}

async function roleFor(ctx: CommandContext, command: CommandName, lgCode: string): Promise<string | null> {
  if (isSystemActor(ctx.actor)) {
    if (!ctx.actor.system) throw new TypeError("a system actor needs a name");
    return null;
  }
  return authorizeOrAudit(ctx.db, ctx.actor, command, lgCode);
}

async function hostedMunicipality(db: Kysely<BackofficeDatabase>, lgCode: string): Promise<Municipality> {
  const m = await loadMunicipality(db, lgCode);
  if (!m?.hosted) fieldError("lgCode", "この市区町村の住民記録はこのシステムでは扱っていません");
  return m;
}

/** Runs one command (see the file's comment). */
export async function runCommand<I extends CommandInputBase>(
  ctx: CommandContext,
  spec: CommandSpec<I>,
  rawInput: I | ApprovedCommandInput,
): Promise<CommandResult> {
  const errors = new FieldErrors();
  if (!checkBase(rawInput, errors)) errors.throwIfAny();
  const base = rawInput as unknown as Record<string, unknown>;
  const approved = requiresApproval(spec.command);
  if (approved) checkUuid(base.approvalId, "approvalId", errors, "承認申請");
  errors.throwIfAny();
  const lgCode = rawInput.lgCode;
  const requestKey = rawInput.requestKey;
  const role = await roleFor(ctx, spec.command, lgCode);
  if (approved && isSystemActor(ctx.actor)) {
    fieldError("approvalId", "承認が必要な異動は職員が行ってください");
  }
  if (!approved) validateOrThrow(spec, base, ctx.today);

  return inTransaction(ctx.db, async (trx) => {
    const mac = payloadMac(ctx.keys, spec.command, lgCode, rawInput);
    const earlier = await claimRequest(trx, { requestKey, lgCode, command: spec.command, payloadMac: mac });
    if (earlier) {
      if (earlier.command !== spec.command || earlier.lgCode !== lgCode || !earlier.payloadMac.equals(mac)) {
        throw new RequestKeyReusedError(requestKey);
      }
      return { ...(earlier.result as CommandResult), replayed: true };
    }
    let input = rawInput as I;
    let approval: { id: string; approvedBy: string } | null = null;
    if (approved) {
      const approvalId = base.approvalId as string;
      const consumed = await consumeApproval(trx, {
        approvalId,
        lgCode,
        command: spec.command,
        keys: ctx.keys,
      });
      const payload = consumed.payload as Record<string, unknown>;
      input = { ...payload, requestKey, lgCode } as unknown as I;
      validateOrThrow(spec, input as unknown as Record<string, unknown>, ctx.today);
      approval = { id: approvalId, approvedBy: consumed.approvedBy.staffId };
    }
    const municipality = await hostedMunicipality(trx, lgCode);
    const writer = new ChangeWriter(
      trx,
      ctx,
      spec.command,
      municipality,
      requestKey,
      role,
      input.expectedVersions ?? {},
      approval,
      false,
    );
    await spec.execute(writer, input);
    const result = await writer.finish();
    await storeRequestResult(trx, requestKey, result);
    return result;
  });
}

function validateOrThrow<I>(spec: CommandSpec<I>, input: Record<string, unknown>, today: IsoDate): void {
  const errors = new FieldErrors();
  spec.validate(input, errors, today);
  errors.throwIfAny();
}

class DryRunDone extends Error {
  constructor(readonly result: CommandResult) {
    super("dry run");
  }
}

/**
 * First step of a command that needs a supervisor's approval (職権記載・消除・修正, 異動取消):
 * checks the input as the command itself would (against the register as it is now, writing
 * nothing), then files the approval request. Returns the approval id; the command runs later
 * with `{ requestKey, lgCode, approvalId }` once a different supervisor has approved.
 */
export async function requestCommandApproval<I extends Omit<CommandInputBase, "requestKey">>(
  ctx: CommandContext,
  spec: CommandSpec<I & CommandInputBase>,
  input: I,
): Promise<string> {
  if (isSystemActor(ctx.actor)) fieldError("actor", "承認が必要な異動は職員が申請してください");
  const actor = ctx.actor;
  const withKey = { ...input, requestKey: "approval-request" } as I & CommandInputBase;
  const errors = new FieldErrors();
  checkBase(withKey, errors);
  errors.throwIfAny();
  const role = await roleFor(ctx, spec.command, input.lgCode);
  validateOrThrow(spec, withKey as unknown as Record<string, unknown>, ctx.today);
  // The same checks the command will make, in a transaction that is always rolled back.
  if (!ctx.db.isTransaction) {
    try {
      await ctx.db.transaction().execute(async (trx) => {
        const municipality = await hostedMunicipality(trx, input.lgCode);
        const writer = new ChangeWriter(
          trx,
          { ...ctx, db: trx },
          spec.command,
          municipality,
          `dry-run:${randomUUID()}`,
          role,
          input.expectedVersions ?? {},
          null,
          true,
        );
        await spec.execute(writer, withKey);
        throw new DryRunDone(await writer.finish());
      });
    } catch (err) {
      if (!(err instanceof DryRunDone)) throw err;
    }
  }
  const { expectedVersions: _v, ...payload } = input;
  return inTransaction(ctx.db, (trx) =>
    requestApproval(trx, {
      lgCode: input.lgCode,
      command: spec.command,
      payload,
      requestedBy: actor,
      keys: ctx.keys,
    }),
  );
}

/**
 * SQL of the resident register (STYLE.md §5): plain functions whose first argument is the
 * database or a transaction. Functions that lock take a Transaction, so "must run in a
 * transaction" is a type.
 */
import { type Insertable, type Kysely, sql, type Transaction, type Updateable } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ResidentChangeTable, ResidentTable } from "../../db/types/register.js";
import type { HistoryEntry } from "./history.js";
import type { ChangeKind } from "./lifecycle.js";
import type { Patch, ResidentRow } from "./record.js";
import type { Municipality } from "./validation.js";

type Db = Kysely<BackofficeDatabase>;
type Trx = Transaction<BackofficeDatabase>;

export async function loadMunicipality(db: Db, lgCode: string): Promise<Municipality | undefined> {
  const row = await db
    .selectFrom("register.municipality")
    .select(["lg_code", "prefecture", "name", "towns", "hosted"])
    .where("lg_code", "=", lgCode)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    lgCode: row.lg_code,
    prefecture: row.prefecture,
    name: row.name,
    towns: row.towns,
    hosted: row.hosted,
  };
}

// ---------------------------------------------------------------------------------------------
// Residents and households

export async function getResident(db: Db, residentId: string): Promise<ResidentRow | undefined> {
  return db.selectFrom("register.resident").selectAll().where("id", "=", residentId).executeTakeFirst();
}

/** Locks the residents (in id order, so two commands never deadlock on each other). */
export async function lockResidents(trx: Trx, ids: readonly string[]): Promise<ResidentRow[]> {
  if (ids.length === 0) return [];
  return trx
    .selectFrom("register.resident")
    .selectAll()
    .where("id", "in", [...ids])
    .orderBy("id")
    .forUpdate()
    .execute();
}

/** Locks a household and every record in it (any status), members in id order. */
export async function lockHousehold(
  trx: Trx,
  householdId: string,
): Promise<{ lgCode: string; members: ResidentRow[] } | undefined> {
  const household = await trx
    .selectFrom("register.household")
    .select(["id", "lg_code"])
    .where("id", "=", householdId)
    .forUpdate()
    .executeTakeFirst();
  if (!household) return undefined;
  const members = await trx
    .selectFrom("register.resident")
    .selectAll()
    .where("household_id", "=", householdId)
    .orderBy("id")
    .forUpdate()
    .execute();
  return { lgCode: household.lg_code, members };
}

export async function insertHousehold(trx: Trx, household: { id: string; lgCode: string }): Promise<void> {
  await trx
    .insertInto("register.household")
    .values({ id: household.id, lg_code: household.lgCode })
    .execute();
}

export async function insertResident(trx: Trx, row: Insertable<ResidentTable>): Promise<void> {
  await trx.insertInto("register.resident").values(row).execute();
}

/** Writes the new version of a record; false when its version is no longer `expectedVersion`. */
export async function updateResident(
  trx: Trx,
  id: string,
  row: Updateable<ResidentTable>,
  expectedVersion: number,
): Promise<boolean> {
  const result = await trx
    .updateTable("register.resident")
    .set({ ...row, updated_at: sql<Date>`now()` })
    .where("id", "=", id)
    .where("version", "=", expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Living records (active or 転出予定) of this municipality with the 住民票コード. */
export async function findCurrentByResidentCode(
  trx: Trx,
  lgCode: string,
  residentCode: string,
): Promise<{ id: string } | undefined> {
  return trx
    .selectFrom("register.resident")
    .select("id")
    .where("lg_code", "=", lgCode)
    .where("resident_code", "=", residentCode)
    .where("status", "in", ["active", "moveOutScheduled"])
    .executeTakeFirst();
}

export async function findCurrentByMyNumberIndex(
  trx: Trx,
  lgCode: string,
  index: Buffer,
): Promise<{ id: string } | undefined> {
  return trx
    .selectFrom("register.resident")
    .select("id")
    .where("lg_code", "=", lgCode)
    .where("my_number_index", "=", index)
    .where("status", "in", ["active", "moveOutScheduled"])
    .executeTakeFirst();
}

/** True when any record anywhere (a 除票 included) carries the 住民票コード. */
export async function residentCodeInUse(trx: Trx, residentCode: string): Promise<boolean> {
  const row = await trx
    .selectFrom("register.resident")
    .select("id")
    .where("resident_code", "=", residentCode)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Households among `ids` whose living members do not have exactly one head. */
export async function householdsWithoutOneHead(
  trx: Trx,
  ids: readonly string[],
): Promise<{ household_id: string; living: number; heads: number }[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ household_id: string; living: number; heads: number }>`
    select household_id,
           count(*)::int as living,
           count(*) filter (where relationship = '世帯主')::int as heads
    from register.resident
    where household_id = any(${[...ids]}::uuid[]) and status in ('active', 'moveOutScheduled')
    group by household_id
    having count(*) filter (where relationship = '世帯主') <> 1`.execute(trx);
  return rows.rows;
}

// ---------------------------------------------------------------------------------------------
// History

export interface ChangeRow {
  id: string;
  seq: number;
  lgCode: string;
  residentId: string;
  requestKey: string;
  kind: ChangeKind;
  origin: "notification" | "exOfficio";
  effectiveDate: string;
  notifiedOn: string | null;
  processedAt: Date;
  staffId: string | null;
  staffRole: string | null;
  systemActor: string | null;
  approvalId: string | null;
  approvedBy: string | null;
  reason: string | null;
  late: boolean;
  cancelsChangeId: string | null;
  before: Patch;
  after: Patch;
}

function toChangeRow(r: {
  id: string;
  seq: number;
  lg_code: string;
  resident_id: string;
  request_key: string;
  kind: string;
  origin: "notification" | "exOfficio";
  effective_date: string;
  notified_on: string | null;
  processed_at: Date;
  staff_id: string | null;
  staff_role: string | null;
  system_actor: string | null;
  approval_id: string | null;
  approved_by: string | null;
  reason: string | null;
  late: boolean;
  cancels_change_id: string | null;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}): ChangeRow {
  return {
    id: r.id,
    seq: Number(r.seq),
    lgCode: r.lg_code,
    residentId: r.resident_id,
    requestKey: r.request_key,
    kind: r.kind as ChangeKind,
    origin: r.origin,
    effectiveDate: r.effective_date,
    notifiedOn: r.notified_on,
    processedAt: r.processed_at,
    staffId: r.staff_id,
    staffRole: r.staff_role,
    systemActor: r.system_actor,
    approvalId: r.approval_id,
    approvedBy: r.approved_by,
    reason: r.reason,
    late: r.late,
    cancelsChangeId: r.cancels_change_id,
    before: r.before as Patch,
    after: r.after as Patch,
  };
}

export async function insertChange(trx: Trx, change: Insertable<ResidentChangeTable>): Promise<void> {
  await trx.insertInto("register.resident_change").values(change).execute();
}

/** A resident's history, oldest first (optionally only up to and including change seq `uptoSeq`). */
export async function loadHistory(db: Db, residentId: string, uptoSeq?: number): Promise<ChangeRow[]> {
  let q = db.selectFrom("register.resident_change").selectAll().where("resident_id", "=", residentId);
  if (uptoSeq !== undefined) q = q.where("seq", "<=", uptoSeq);
  const rows = await q.orderBy("seq").execute();
  return rows.map(toChangeRow);
}

export function toHistoryEntries(rows: readonly ChangeRow[]): HistoryEntry[] {
  return rows.map((r) => ({ id: r.id, kind: r.kind, before: r.before, after: r.after }));
}

export async function getChange(db: Db, changeId: string): Promise<ChangeRow | undefined> {
  const row = await db
    .selectFrom("register.resident_change")
    .selectAll()
    .where("id", "=", changeId)
    .executeTakeFirst();
  return row ? toChangeRow(row) : undefined;
}

export async function changesOfRequest(db: Db, requestKey: string): Promise<ChangeRow[]> {
  const rows = await db
    .selectFrom("register.resident_change")
    .selectAll()
    .where("request_key", "=", requestKey)
    .orderBy("seq")
    .execute();
  return rows.map(toChangeRow);
}

/** The newest change of each resident, keyed by resident id. */
export async function latestChanges(db: Db, residentIds: readonly string[]): Promise<Map<string, ChangeRow>> {
  if (residentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("register.resident_change")
    .selectAll()
    .distinctOn("resident_id")
    .where("resident_id", "in", [...residentIds])
    .orderBy("resident_id")
    .orderBy("seq", "desc")
    .execute();
  return new Map(rows.map((r) => [r.resident_id, toChangeRow(r)]));
}

export async function cancellationOf(db: Db, changeId: string): Promise<{ id: string } | undefined> {
  return db
    .selectFrom("register.resident_change")
    .select("id")
    .where("cancels_change_id", "=", changeId)
    .executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------
// Request keys

export interface StoredRequest {
  command: string;
  lgCode: string;
  payloadMac: Buffer;
  result: unknown;
}

/**
 * Claims a request key for this transaction. Returns null when the key is new (the caller goes
 * on), else what the first request stored. A concurrent transaction holding the same key makes
 * this wait for its outcome: on commit we see its row, on rollback the key is ours.
 */
export async function claimRequest(
  trx: Trx,
  req: { requestKey: string; lgCode: string; command: string; payloadMac: Buffer },
): Promise<StoredRequest | null> {
  const inserted = await trx
    .insertInto("register.command_request")
    .values({
      request_key: req.requestKey,
      lg_code: req.lgCode,
      command: req.command,
      payload_mac: req.payloadMac,
      result: null,
    })
    .onConflict((oc) => oc.column("request_key").doNothing())
    .returning("request_key")
    .executeTakeFirst();
  if (inserted) return null;
  const row = await trx
    .selectFrom("register.command_request")
    .select(["command", "lg_code", "payload_mac", "result"])
    .where("request_key", "=", req.requestKey)
    .executeTakeFirstOrThrow();
  return { command: row.command, lgCode: row.lg_code, payloadMac: row.payload_mac, result: row.result };
}

export async function isCommandRequest(db: Db, requestKey: string): Promise<boolean> {
  const row = await db
    .selectFrom("register.command_request")
    .select("request_key")
    .where("request_key", "=", requestKey)
    .executeTakeFirst();
  return row !== undefined;
}

export async function storeRequestResult(trx: Trx, requestKey: string, result: unknown): Promise<void> {
  await trx
    .updateTable("register.command_request")
    .set({ result: JSON.stringify(result) })
    .where("request_key", "=", requestKey)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Support measures (支援措置)

export async function activeSupportMeasure(
  db: Db,
  residentId: string,
  today: string,
): Promise<{ since: string; until: string | null; extendedUntil: string | null } | undefined> {
  const row = await db
    .selectFrom("register.support_measure")
    .select(["since", "until", "extended_until"])
    .where("resident_id", "=", residentId)
    .where("since", "<=", today)
    .where((eb) =>
      eb.or([
        eb.and([eb("until", "is", null), eb("extended_until", "is", null)]),
        eb(sql`coalesce(extended_until, until)`, ">=", today),
      ]),
    )
    .orderBy("since", "desc")
    .executeTakeFirst();
  return row ? { since: row.since, until: row.until, extendedUntil: row.extended_until } : undefined;
}

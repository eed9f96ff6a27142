import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { MoveCaseStatus } from "../../db/types/pipeline.js";

type Db = Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>;

export interface MoveCase {
  lgCode: string;
  applicationId: string;
  role: "origin" | "forwarder";
  counterpartLgCode: string;
  residentIds: string[];
  plannedMoveOutDate: string;
  status: MoveCaseStatus;
}

export async function insertMoveCase(
  db: Db,
  c: Omit<MoveCase, "status"> & { status?: MoveCaseStatus },
): Promise<boolean> {
  const r = await db
    .insertInto("register.move_case")
    .values({
      lg_code: c.lgCode,
      application_id: c.applicationId,
      role: c.role,
      counterpart_lg_code: c.counterpartLgCode,
      resident_ids: JSON.stringify(c.residentIds),
      planned_move_out_date: c.plannedMoveOutDate,
      ...(c.status ? { status: c.status } : {}),
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

type Row = {
  lg_code: string;
  application_id: string;
  role: "origin" | "forwarder";
  counterpart_lg_code: string;
  resident_ids: string[];
  planned_move_out_date: string;
  status: MoveCaseStatus;
};

function fromRow(r: Row): MoveCase {
  return {
    lgCode: r.lg_code,
    applicationId: r.application_id,
    role: r.role,
    counterpartLgCode: r.counterpart_lg_code,
    residentIds: r.resident_ids,
    plannedMoveOutDate: String(r.planned_move_out_date),
    status: r.status,
  };
}

const columns = [
  "lg_code",
  "application_id",
  "role",
  "counterpart_lg_code",
  "resident_ids",
  "planned_move_out_date",
  "status",
] as const;

/** Advisory lock class of an application's cases ("move"). */
const MOVE_CASE_LOCK = 0x6d6f7665;

/**
 * The application's cases (at any hosted municipality), locked until the transaction ends — and
 * the application itself, with an advisory lock, because row locks cannot lock a case that does
 * not exist yet: the intake (no case yet, so it creates one) and a cancellation that finds no case
 * (so it leaves a tombstone) would otherwise both go ahead, and the cancellation would be lost.
 */
export async function lockMoveCases(
  db: Transaction<BackofficeDatabase>,
  applicationId: string,
): Promise<MoveCase[]> {
  await sql`select pg_advisory_xact_lock(${MOVE_CASE_LOCK}::int, hashtext(${applicationId}))`.execute(db);
  const rows = await db
    .selectFrom("register.move_case")
    .select(columns)
    .where("application_id", "=", applicationId)
    .orderBy("lg_code")
    .forUpdate()
    .execute();
  return rows.map(fromRow);
}

export async function setMoveCaseStatus(
  db: Db,
  lgCode: string,
  applicationId: string,
  status: MoveCaseStatus,
  now: Date,
): Promise<void> {
  await db
    .updateTable("register.move_case")
    .set({ status, updated_at: now })
    .where("lg_code", "=", lgCode)
    .where("application_id", "=", applicationId)
    .execute();
}

/** Open origin cases planned before `plannedBefore`, one batch, skipping locked ones. */
export async function lockOpenOriginCasesPlannedBefore(
  db: Db,
  plannedBefore: string,
  limit: number,
): Promise<MoveCase[]> {
  const rows = await db
    .selectFrom("register.move_case")
    .select(columns)
    .where("role", "=", "origin")
    .where("status", "=", "scheduled")
    .where("planned_move_out_date", "<", plannedBefore)
    .orderBy("planned_move_out_date")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(fromRow);
}

/** Residents of a municipality by 住民票コード, with their status (a 転入通知 names people so). */
export async function residentsByCode(db: Db, lgCode: string, residentCodes: string[]) {
  if (residentCodes.length === 0) return [];
  return db
    .selectFrom("register.resident")
    .select(["id", "resident_code", "status"])
    .where("lg_code", "=", lgCode)
    .where("resident_code", "in", residentCodes)
    .execute();
}

export async function insertAnnexEntries(
  db: Db,
  entries: {
    messageId: string;
    position: number;
    lgCode: string;
    fromLgCode: string;
    residentCode: string;
    person: unknown;
    addressSetOn: string;
    reason: string;
  }[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const r = await db
    .insertInto("register.annex_notice")
    .values(
      entries.map((e) => ({
        message_id: e.messageId,
        position: e.position,
        lg_code: e.lgCode,
        from_lg_code: e.fromLgCode,
        resident_code: e.residentCode,
        person: JSON.stringify(e.person),
        address_set_on: e.addressSetOn,
        reason: e.reason,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

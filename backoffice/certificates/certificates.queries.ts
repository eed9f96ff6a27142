/**
 * SQL of certificate issuance (STYLE.md §5). The issuance log is append-only for the back
 * office's role (migration 2026-11-26T0610_certificates).
 */
import type { Insertable, Kysely, Selectable, Transaction } from "kysely";
import { sql } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { CertificateIssuanceTable } from "../../db/types/certificates.js";
import type { ResidentRow } from "../register/record.js";

type Db = Kysely<BackofficeDatabase>;
type Trx = Transaction<BackofficeDatabase>;

/** Living members (active or 転出予定) of a household. */
export async function livingHouseholdMembers(db: Db, householdId: string): Promise<ResidentRow[]> {
  return db
    .selectFrom("register.resident")
    .selectAll()
    .where("household_id", "=", householdId)
    .where("status", "in", ["active", "moveOutScheduled"])
    .orderBy("id")
    .execute();
}

/** Residents among `ids` with a support measure (支援措置) in effect on `today`. */
export async function residentsUnderSupportMeasure(
  db: Db,
  ids: readonly string[],
  today: string,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("register.support_measure")
    .select("resident_id")
    .distinct()
    .where("resident_id", "in", [...ids])
    .where("since", "<=", today)
    .where((eb) =>
      eb.or([
        eb.and([eb("until", "is", null), eb("extended_until", "is", null)]),
        eb(sql`coalesce(extended_until, until)`, ">=", today),
      ]),
    )
    .execute();
  return rows.map((r) => r.resident_id);
}

export async function nextCertificateSerial(trx: Trx): Promise<number> {
  const row = await sql<{ n: number }>`select nextval('register.certificate_number_seq') as n`.execute(trx);
  return Number(row.rows[0]!.n);
}

export async function insertIssuance(trx: Trx, row: Insertable<CertificateIssuanceTable>): Promise<void> {
  await trx.insertInto("register.certificate_issuance").values(row).execute();
}

export type IssuanceRow = Selectable<CertificateIssuanceTable>;

export async function findIssuance(db: Db, certificateNumber: string): Promise<IssuanceRow | undefined> {
  return db
    .selectFrom("register.certificate_issuance")
    .selectAll()
    .where("certificate_number", "=", certificateNumber)
    .executeTakeFirst();
}

export async function issuancesOfResident(
  db: Db,
  lgCode: string,
  residentId: string,
): Promise<IssuanceRow[]> {
  return db
    .selectFrom("register.certificate_issuance")
    .selectAll()
    .where("lg_code", "=", lgCode)
    .where("subject_resident_id", "=", residentId)
    .orderBy("issued_at")
    .execute();
}

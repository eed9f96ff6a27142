import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";

type Trx = Transaction<BackofficeDatabase>;

export interface IntakeCandidate {
  id: string;
  householdId: string;
  status: "active" | "moveOutScheduled" | "removed" | "none";
  addressLine: string;
  relationship: string;
  sex: "male" | "female";
}

/**
 * Current records of a municipality with this normalized name (kanji key, or kana key when the
 * kanji key is not given) and birth date. The caller compares the address (the fourth item).
 */
export async function currentByNameAndBirth(
  trx: Trx,
  q: { lgCode: string; nameKey: string; kanaKey: string; birthDate: string; householdId?: string },
): Promise<IntakeCandidate[]> {
  let query = trx
    .selectFrom("register.resident")
    .select(["id", "household_id", "status", "address_line", "relationship", "sex"])
    .where("lg_code", "=", q.lgCode)
    .where("birth_date", "=", q.birthDate)
    .where("status", "in", ["active", "moveOutScheduled"])
    .where((eb) => eb.or([eb("name_search", "=", q.nameKey), eb("kana_search", "=", q.kanaKey)]));
  if (q.householdId) query = query.where("household_id", "=", q.householdId);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    householdId: r.household_id,
    status: r.status as IntakeCandidate["status"],
    addressLine: r.address_line,
    relationship: r.relationship,
    sex: r.sex as "male" | "female",
  }));
}

/** The head of a household (its current member whose relationship is 世帯主). */
export async function householdHead(
  trx: Trx,
  householdId: string,
): Promise<{ familyName: string; givenName: string } | undefined> {
  const row = await trx
    .selectFrom("register.resident")
    .select(["family_name", "given_name"])
    .where("household_id", "=", householdId)
    .where("relationship", "=", "世帯主")
    .where("status", "in", ["active", "moveOutScheduled"])
    .executeTakeFirst();
  return row ? { familyName: row.family_name, givenName: row.given_name } : undefined;
}

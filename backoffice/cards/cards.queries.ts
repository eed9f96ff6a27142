import type { Insertable, Kysely, Selectable, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type {
  CardIdentityCheckTable,
  CardOperationStatus,
  CardOperationTable,
} from "../../db/types/cards.js";

/** SQL of the card work at the counter (本人確認 with the card, card operations sent to J-LIS). */

type Db = Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>;

export interface ReservationForCheck {
  id: string;
  lgCode: string;
  status: string;
  receiptNumber: string | null;
  people: unknown;
  certificate: unknown;
}

export async function reservationForCheck(db: Db, id: string): Promise<ReservationForCheck | undefined> {
  const r = await db
    .selectFrom("register.reservation")
    .select(["id", "lg_code", "status", "receipt_number", "people", "certificate"])
    .where("id", "=", id)
    .executeTakeFirst();
  return r
    ? {
        id: r.id,
        lgCode: r.lg_code,
        status: r.status,
        receiptNumber: r.receipt_number,
        people: r.people,
        certificate: r.certificate,
      }
    : undefined;
}

export type IdentityCheckRow = Selectable<CardIdentityCheckTable>;

export async function identityCheckByRequestKey(
  db: Db,
  requestKey: string,
): Promise<IdentityCheckRow | undefined> {
  return db
    .selectFrom("register.card_identity_check")
    .selectAll()
    .where("request_key", "=", requestKey)
    .executeTakeFirst();
}

/** Inserts the check; false when the request key was already used (a concurrent repeat). */
export async function insertIdentityCheck(
  trx: Transaction<BackofficeDatabase>,
  row: Insertable<CardIdentityCheckTable>,
): Promise<boolean> {
  const result = await trx
    .insertInto("register.card_identity_check")
    .values(row)
    .onConflict((oc) => oc.column("request_key").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function identityChecksOf(db: Db, reservationId: string): Promise<IdentityCheckRow[]> {
  return db
    .selectFrom("register.card_identity_check")
    .selectAll()
    .where("reservation_id", "=", reservationId)
    .orderBy("checked_at", "desc")
    .orderBy("id")
    .execute();
}

export interface ResidentForCards {
  id: string;
  lgCode: string;
  status: string;
  familyName: string;
  givenName: string;
  familyKana: string;
  givenKana: string;
  birthDate: string;
  sex: "male" | "female";
  addressLine: string;
  addressSince: string;
  addressNotifiedOn: string | null;
  residentSince: string;
}

export async function residentForCards(db: Db, id: string): Promise<ResidentForCards | undefined> {
  const r = await db
    .selectFrom("register.resident")
    .select([
      "id",
      "lg_code",
      "status",
      "family_name",
      "given_name",
      "family_kana",
      "given_kana",
      "birth_date",
      "sex",
      "address_line",
      "address_since",
      "address_notified_on",
      "resident_since",
    ])
    .where("id", "=", id)
    .executeTakeFirst();
  return r
    ? {
        id: r.id,
        lgCode: r.lg_code,
        status: r.status,
        familyName: r.family_name,
        givenName: r.given_name,
        familyKana: r.family_kana,
        givenKana: r.given_kana,
        birthDate: String(r.birth_date),
        sex: r.sex,
        addressLine: r.address_line,
        addressSince: String(r.address_since),
        addressNotifiedOn: r.address_notified_on === null ? null : String(r.address_notified_on),
        residentSince: String(r.resident_since),
      }
    : undefined;
}

/** The latest 転入 (or 特例転入) entry of the resident's history: its 届出日 starts the 90 days. */
export async function latestMoveIn(
  db: Db,
  residentId: string,
): Promise<{ kind: string; notifiedOn: string | null; effectiveDate: string } | undefined> {
  const r = await db
    .selectFrom("register.resident_change")
    .select(["kind", "notified_on", "effective_date"])
    .where("resident_id", "=", residentId)
    .where("kind", "in", ["moveIn", "specialMoveIn"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return r
    ? {
        kind: r.kind,
        notifiedOn: r.notified_on === null ? null : String(r.notified_on),
        effectiveDate: String(r.effective_date),
      }
    : undefined;
}

export type CardOperationRow = Selectable<CardOperationTable>;

export async function cardOperationByRequestKey(
  db: Db,
  requestKey: string,
): Promise<CardOperationRow | undefined> {
  return db
    .selectFrom("register.card_operation")
    .selectAll()
    .where("request_key", "=", requestKey)
    .executeTakeFirst();
}

/** Claims the request key (false when another request holds it: read that one instead). */
export async function insertCardOperation(
  trx: Transaction<BackofficeDatabase>,
  row: Insertable<CardOperationTable>,
): Promise<boolean> {
  const result = await trx
    .insertInto("register.card_operation")
    .values(row)
    .onConflict((oc) => oc.column("request_key").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function lockCardOperation(
  trx: Transaction<BackofficeDatabase>,
  id: string,
): Promise<CardOperationRow | undefined> {
  return trx
    .selectFrom("register.card_operation")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export async function recordAttempt(
  trx: Transaction<BackofficeDatabase>,
  id: string,
  changes: {
    status: CardOperationStatus;
    refusalCode?: string | null;
    refusalMessage?: string | null;
    lastError?: string | null;
    newSignSerial?: string | null;
    request?: Record<string, unknown>;
  },
): Promise<void> {
  await trx
    .updateTable("register.card_operation")
    .set((eb) => ({
      status: changes.status,
      attempts: eb("attempts", "+", 1),
      updated_at: new Date(),
      ...(changes.refusalCode !== undefined ? { refusal_code: changes.refusalCode } : {}),
      ...(changes.refusalMessage !== undefined ? { refusal_message: changes.refusalMessage } : {}),
      ...(changes.lastError !== undefined ? { last_error: changes.lastError } : {}),
      ...(changes.newSignSerial !== undefined ? { new_sign_serial: changes.newSignSerial } : {}),
      ...(changes.request !== undefined ? { request: JSON.stringify(changes.request) } : {}),
      ...(changes.status !== "pending" ? { completed_at: new Date() } : {}),
    }))
    .where("id", "=", id)
    .execute();
}

export async function cardOperationsOf(db: Db, residentId: string, limit = 50): Promise<CardOperationRow[]> {
  return db
    .selectFrom("register.card_operation")
    .selectAll()
    .where("resident_id", "=", residentId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(limit)
    .execute();
}

import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ReservationKind, ReservationStatus } from "../../db/types/pipeline.js";
import type { IsoDate } from "../register/time-rules.js";

/**
 * The counter's read queries over register.reservation (予約一覧 and its detail). Every query
 * takes the staff member's lgCode: another municipality's reservation is simply not found.
 */

export interface ReservationPersonName {
  family: string;
  given: string;
  familyKana: string;
  givenKana: string;
}

/** A person as the reservation lists them (転出証明書情報 or 転居予約). */
export interface ReservationPerson {
  residentCode?: string;
  residentId?: string;
  name: ReservationPersonName;
  birthDate: string;
  sex?: string;
  relationship?: string;
  householdHead?: boolean;
}

export interface ReservationSummary {
  id: string;
  kind: ReservationKind;
  status: ReservationStatus;
  receiptNumber: string | null;
  applicationId: string | null;
  originLgCode: string;
  originName: string | null;
  plannedMoveOutDate: IsoDate;
  plannedVisitDate: IsoDate | null;
  people: ReservationPerson[];
  createdAt: Date;
}

export interface ReservationDetail extends ReservationSummary {
  certificateId: string;
  /** The 転出証明書情報 as received (moveOut) or the online 転居 filing (relocation). */
  certificate: unknown;
  completion: unknown;
  closedAt: Date | null;
}

export interface ReservationSearch {
  /** 受付番号, application id, or part of a name (kanji or kana; spaces ignored). */
  q?: string;
  /** Include completed, cancelled and expired reservations (default: waiting only). */
  includeClosed?: boolean;
  limit?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function asPeople(value: unknown): ReservationPerson[] {
  return Array.isArray(value) ? (value as ReservationPerson[]) : [];
}

function dateText(d: unknown): string {
  return d instanceof Date ? d.toISOString().slice(0, 10) : String(d);
}

/** Normalises a search term: no spaces (full or half width). */
export function normaliseTerm(q: string): string {
  return q.replace(/[\s\u3000]+/g, "").trim();
}

/**
 * Waiting reservations of the municipality (and closed ones when asked), visits planned for
 * today first, then upcoming ones, then those without a date and those whose date has passed.
 */
export async function listReservations(
  db: Kysely<BackofficeDatabase>,
  lgCode: string,
  today: IsoDate,
  search: ReservationSearch = {},
): Promise<ReservationSummary[]> {
  let q = db
    .selectFrom("register.reservation as r")
    .leftJoin("register.municipality as m", "m.lg_code", "r.origin_lg_code")
    .select([
      "r.id",
      "r.kind",
      "r.status",
      "r.receipt_number",
      "r.application_id",
      "r.origin_lg_code",
      "m.name as origin_name",
      "r.planned_move_out_date",
      "r.planned_visit_date",
      "r.people",
      "r.created_at",
    ])
    .where("r.lg_code", "=", lgCode);
  if (!search.includeClosed) q = q.where("r.status", "=", "waiting");
  const term = normaliseTerm(search.q ?? "");
  if (term) {
    const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb("r.receipt_number", "=", term),
        ...(UUID.test(term) ? [eb("r.application_id", "=", term.toLowerCase())] : []),
        eb(
          sql<boolean>`exists (
            select 1 from jsonb_array_elements(r.people) p
            where (p->'name'->>'family') || (p->'name'->>'given') like ${like}
               or (p->'name'->>'familyKana') || (p->'name'->>'givenKana') like ${like})`,
          "=",
          true,
        ),
      ]),
    );
  }
  const rows = await q
    .orderBy(
      sql`case
        when r.planned_visit_date = ${today}::date then 0
        when r.planned_visit_date > ${today}::date then 1
        when r.planned_visit_date is null then 2
        else 3 end`,
    )
    .orderBy("r.planned_visit_date")
    .orderBy("r.created_at")
    .limit(search.limit ?? 200)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    receiptNumber: r.receipt_number,
    applicationId: r.application_id,
    originLgCode: r.origin_lg_code,
    originName: r.origin_name,
    plannedMoveOutDate: dateText(r.planned_move_out_date),
    plannedVisitDate: r.planned_visit_date === null ? null : dateText(r.planned_visit_date),
    people: asPeople(r.people),
    createdAt: r.created_at,
  }));
}

/** One reservation of the municipality, or undefined (also for another municipality's). */
export async function getReservation(
  db: Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>,
  lgCode: string,
  id: string,
): Promise<ReservationDetail | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db
    .selectFrom("register.reservation as r")
    .leftJoin("register.municipality as m", "m.lg_code", "r.origin_lg_code")
    .select([
      "r.id",
      "r.kind",
      "r.status",
      "r.receipt_number",
      "r.application_id",
      "r.origin_lg_code",
      "m.name as origin_name",
      "r.planned_move_out_date",
      "r.planned_visit_date",
      "r.people",
      "r.created_at",
      "r.certificate_id",
      "r.certificate",
      "r.completion",
      "r.closed_at",
    ])
    .where("r.lg_code", "=", lgCode)
    .where("r.id", "=", id)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    receiptNumber: r.receipt_number,
    applicationId: r.application_id,
    originLgCode: r.origin_lg_code,
    originName: r.origin_name,
    plannedMoveOutDate: dateText(r.planned_move_out_date),
    plannedVisitDate: r.planned_visit_date === null ? null : dateText(r.planned_visit_date),
    people: asPeople(r.people),
    createdAt: r.created_at,
    certificateId: r.certificate_id,
    certificate: r.certificate,
    completion: r.completion,
    closedAt: r.closed_at,
  };
}

/** Households of the municipality at an address (for 「既存の世帯に加わる」 at completion). */
export async function householdsAt(
  db: Kysely<BackofficeDatabase>,
  lgCode: string,
  address: { town: string; chome: number; block: number },
): Promise<{ householdId: string; headName: string; members: number; addressLine: string }[]> {
  const rows = await db
    .selectFrom("register.resident")
    .select([
      "household_id",
      "address_line",
      sql<number>`count(*)::int`.as("members"),
      sql<string>`max(case when relationship = '世帯主' then family_name || ' ' || given_name end)`.as(
        "head_name",
      ),
    ])
    .where("lg_code", "=", lgCode)
    .where("status", "in", ["active", "moveOutScheduled"])
    .where("town", "=", address.town)
    .where("chome", "=", address.chome)
    .where("block", "=", address.block)
    .groupBy(["household_id", "address_line"])
    .limit(50)
    .execute();
  return rows.map((r) => ({
    householdId: r.household_id,
    headName: r.head_name ?? "",
    members: r.members,
    addressLine: r.address_line,
  }));
}

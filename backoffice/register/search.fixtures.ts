import { randomUUID } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { makeResidentCode } from "./identifiers.js";
import { type MyNumberKeys, sealMyNumber } from "./my-number.js";
import { normalizeKana, normalizeName } from "./names.js";

/**
 * Test rows for register.resident written directly with SQL (as the owner), so that the tests of
 * search, 個人番号 reads and audit do not depend on the change commands. Only for tests.
 */

export interface TestResident {
  lgCode?: string;
  familyName: string;
  givenName: string;
  familyKana: string;
  givenKana: string;
  birthDate?: string;
  sex?: "male" | "female";
  town?: string;
  chome?: number;
  block?: number;
  addressLine?: string;
  myNumber?: string;
  status?: "active" | "moveOutScheduled" | "removed";
  residentCode?: string;
}

let counter = 0;

/** A fresh valid 住民票コード per call (unique within the run). */
export function nextResidentCode(): string {
  counter++;
  const body = `${process.pid % 100_000}`.padStart(5, "0") + `${counter}`.padStart(5, "0");
  return makeResidentCode(body);
}

export async function ensureMunicipality(
  db: Kysely<unknown>,
  lgCode: string,
  name = "テスト区",
): Promise<void> {
  await sql`
    insert into register.municipality (lg_code, prefecture, name, towns, hosted)
    values (${lgCode}, '東京都', ${name}, '[]'::jsonb, true) on conflict do nothing`.execute(db);
}

/** Inserts one resident in a household of their own; returns the resident's id. */
export async function insertResident(
  db: Kysely<unknown>,
  r: TestResident,
  keys?: MyNumberKeys,
): Promise<{ id: string; residentCode: string }> {
  const lgCode = r.lgCode ?? "131075";
  await ensureMunicipality(db, lgCode);
  const householdId = randomUUID();
  const id = randomUUID();
  const residentCode = r.residentCode ?? nextResidentCode();
  await sql`insert into register.household (id, lg_code) values (${householdId}, ${lgCode})`.execute(db);
  const sealed = r.myNumber && keys ? sealMyNumber(r.myNumber, keys) : null;
  const status = r.status ?? "active";
  const removed = status === "removed";
  await sql`
    insert into register.resident (
      id, lg_code, household_id, relationship, resident_code, my_number_cipher, my_number_index,
      family_name, given_name, family_kana, given_kana, name_search, kana_search, birth_date, sex,
      nationality, resident_since, address_since, town, chome, block, address_line, status,
      removal_reason, removed_on, retain_until, version)
    values (
      ${id}, ${lgCode}, ${householdId}, '世帯主', ${residentCode}, ${sealed?.cipher ?? null}, ${sealed?.index ?? null},
      ${r.familyName}, ${r.givenName}, ${r.familyKana}, ${r.givenKana},
      ${normalizeName(r.familyName + r.givenName)}, ${normalizeKana(r.familyKana + r.givenKana)},
      ${r.birthDate ?? "1980-01-01"}, ${r.sex ?? "male"}, 'JP', '2000-01-01', '2000-01-01',
      ${r.town ?? "業平"}, ${r.chome ?? 1}, ${r.block ?? 1},
      ${r.addressLine ?? `東京都墨田区${r.town ?? "業平"}一丁目1番1号`}, ${status},
      ${removed ? "movedOut" : null}, ${removed ? "2024-04-01" : null}, ${removed ? "2174-04-01" : null}, 1)`.execute(
    db,
  );
  return { id, residentCode };
}

import type { ColumnType, Generated, JSONColumnType } from "kysely";

/** The resident register's tables (migration 2026-11-26T0500_register). Dates are ISO strings. */

export interface HouseholdTable {
  id: string;
  lg_code: string;
  created_at: Generated<Date>;
}

export interface ResidentTable {
  id: string;
  lg_code: string;
  household_id: string;
  relationship: string;
  resident_code: string;
  my_number_cipher: Buffer | null;
  my_number_index: Buffer | null;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  name_search: string;
  kana_search: string;
  birth_date: string;
  sex: "male" | "female";
  nationality: string;
  honseki: string | null;
  honseki_head: string | null;
  foreigner: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  resident_since: string;
  address_since: string;
  address_notified_on: string | null;
  previous_address: string | null;
  town: string;
  chome: number;
  block: number;
  lot: number | null;
  building: string | null;
  address_line: string;
  qualifications: ColumnType<Record<string, unknown>, string | undefined, string>;
  move_out: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  status: "none" | "active" | "moveOutScheduled" | "removed";
  removal_reason: "movedOut" | "deceased" | "emigrated" | "exOfficioRemoved" | null;
  removed_on: string | null;
  retain_until: string | null;
  version: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ResidentChangeTable {
  id: string;
  seq: Generated<number>;
  lg_code: string;
  resident_id: string;
  request_key: string;
  kind: string;
  origin: "notification" | "exOfficio";
  effective_date: string;
  notified_on: string | null;
  processed_at: Generated<Date>;
  staff_id: string | null;
  staff_role: string | null;
  system_actor: string | null;
  approval_id: string | null;
  approved_by: string | null;
  reason: string | null;
  late: Generated<boolean>;
  cancels_change_id: string | null;
  before: JSONColumnType<Record<string, unknown>>;
  after: JSONColumnType<Record<string, unknown>>;
}

export interface CommandRequestTable {
  request_key: string;
  lg_code: string;
  command: string;
  payload_mac: Buffer;
  result: ColumnType<unknown, string | null, string | null>;
  created_at: Generated<Date>;
}

export interface SupportMeasureTable {
  id: string;
  lg_code: string;
  resident_id: string;
  since: string;
  until: string | null;
  extended_until: string | null;
  created_at: Generated<Date>;
}

export interface RegisterTables {
  "register.household": HouseholdTable;
  "register.resident": ResidentTable;
  "register.resident_change": ResidentChangeTable;
  "register.command_request": CommandRequestTable;
  "register.support_measure": SupportMeasureTable;
}

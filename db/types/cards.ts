import type { ColumnType, Generated } from "kysely";

/** Tables of the back office's card work (issue 6, items 3 and 5; migration 2026-11-26T0620_cards). */

export type IdentityCheckOutcome =
  | "matched"
  | "mismatch"
  | "pinMismatch"
  | "locked"
  | "refused"
  | "unknownCard";

/** register.card_identity_check: one 本人確認 with the card at the counter. */
export interface CardIdentityCheckTable {
  id: string;
  request_key: string;
  lg_code: string;
  reservation_id: string;
  card_last_four: string | null;
  outcome: IdentityCheckOutcome;
  /** Index in reservation.people of the person the card belongs to. */
  person_index: number | null;
  /** Item names that differ (name, kana, birthDate, sex, address, residentCode, …), never values. */
  mismatches: ColumnType<string[], string | undefined, string>;
  refusal_reason: string | null;
  network_level: string | null;
  checked_by: string;
  checked_role: string;
  checked_at: Generated<Date>;
}

export type CardOperationName =
  | "continuedUse"
  | "surfaceUpdate"
  | "signCertReissue"
  | "issue"
  | "abolish"
  | "collect"
  | "unsuspend"
  | "return";

export type CardOperationStatus = "pending" | "accepted" | "refused";

/** register.card_operation: one card operation sent to J-LIS (its id is J-LIS's request id). */
export interface CardOperationTable {
  id: string;
  request_key: string;
  payload_digest: Buffer;
  lg_code: string;
  resident_id: string;
  operation: CardOperationName;
  card_number: string;
  card_last_four: string;
  /** The request body sent to J-LIS, resent as is on a retry. */
  request: ColumnType<Record<string, unknown>, string, string>;
  status: Generated<CardOperationStatus>;
  refusal_code: string | null;
  refusal_message: string | null;
  new_sign_serial: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  requested_by: string;
  requested_role: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  completed_at: Date | null;
}

export interface CardTables {
  "register.card_identity_check": CardIdentityCheckTable;
  "register.card_operation": CardOperationTable;
}

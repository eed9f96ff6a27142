import type { ColumnType, Generated } from "kysely";
import type { InboxOrderTable, InboxTable, OutboxSequenceTable, OutboxTable } from "./messaging.js";

/** Status of an online application: `draft` until signed, then the statuses of jobs/queues.ts. */
export type PortalApplicationStatus =
  | "draft"
  | "received"
  | "moveOutAccepted"
  | "returned"
  | "awaitingVisit"
  | "completed"
  | "cancelled"
  | "expired";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface SessionTable {
  /** SHA-256 (hex) of the cookie's session id; the id itself is never stored. */
  id_hash: string;
  holder_sub: string;
  claims: Json<Record<string, unknown>>;
  id_token: string | null;
  csrf_secret: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface ApplicationTable {
  id: string;
  /** 受付番号, given when the signed application is stored. */
  receipt_number: string | null;
  holder_sub: string;
  kind: "moveOut" | "relocation";
  origin_lg_code: string;
  destination_lg_code: string;
  application: Json<Record<string, unknown>>;
  /** SHA-256 (hex) of the canonical application JSON: what the card signed. */
  digest: string | null;
  /** Base64 signature returned by the card's signing API. */
  signature: string | null;
  certificate_pem: string | null;
  /** SHA-256 of the card IdP signing request in progress (its id comes back in the URL). */
  signing_request_hash: string | null;
  status: PortalApplicationStatus;
  reason_code: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  submitted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ApplicationMemberTable {
  application_id: string;
  position: number;
  is_filer: boolean;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  birth_date: string;
  relationship: string;
  card_continued_use: boolean;
}

export interface ApplicationStatusHistoryTable {
  id: Generated<number>;
  application_id: string;
  status: PortalApplicationStatus;
  reason_code: string | null;
  actor: "resident" | "backoffice";
  message_id: string | null;
  created_at: Timestamp;
}

export interface RateLimitTable {
  bucket: string;
  window_start: Date;
  hits: number;
}

/** The internet zone's database, as the portal's role sees it: schema `portal` only. */
export interface PortalDatabase {
  "portal.outbox": OutboxTable;
  "portal.outbox_sequence": OutboxSequenceTable;
  "portal.inbox": InboxTable;
  "portal.inbox_order": InboxOrderTable;
  "portal.session": SessionTable;
  "portal.application": ApplicationTable;
  "portal.application_member": ApplicationMemberTable;
  "portal.application_status_history": ApplicationStatusHistoryTable;
  "portal.rate_limit": RateLimitTable;
}

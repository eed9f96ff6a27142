import type { ColumnType, Generated } from "kysely";

/** register.outbound_message: a signed 住基ネット message, stored before it is sent. */
export interface OutboundMessageTable {
  id: string;
  lg_code: string;
  to_lg_code: string;
  kind: string;
  application_id: string | null;
  in_reply_to: string | null;
  /** The signed message; null until the worker signs `envelope` at its first send. */
  jws: string | null;
  /** The envelope to sign, when stored unsigned (completion commands run without the CS key). */
  envelope: ColumnType<unknown, string | null, string | null> | null;
  /** The reservation whose completion wrote it (転入通知, 附票通知), if any. */
  reservation_id: string | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  status: Generated<"pending" | "accepted">;
  route: "mailbox" | "standIn" | null;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  accepted_at: Date | null;
}

export type ReservationStatus = "waiting" | "completed" | "cancelled" | "expired";
export type ReservationKind = "moveOut" | "relocation";

/** register.reservation: a counter reservation made from a 転出証明書情報 (転入予約). */
export interface ReservationTable {
  id: string;
  lg_code: string;
  application_id: string | null;
  receipt_number: string | null;
  certificate_id: string;
  origin_lg_code: string;
  message_id: string;
  people: ColumnType<unknown, string, string>;
  planned_move_out_date: ColumnType<string, string, string>;
  planned_visit_date: ColumnType<string | null, string | null, string | null>;
  status: Generated<ReservationStatus>;
  certificate: ColumnType<unknown, string, string>;
  /** moveOut: a 転入予約 made from a 転出証明書情報; relocation: a 転居予約 in the same municipality. */
  kind: Generated<ReservationKind>;
  completion_request_key: string | null;
  completion: ColumnType<unknown, string | null, string | null> | null;
  closed_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type MoveCaseStatus = "scheduled" | "cancelling" | "cancelled" | "confirmed" | "expired";

/**
 * register.move_case: an online move a hosted municipality is the origin of (`origin`: it scheduled
 * the 転出) or forwarded to a stand-in origin (`forwarder`: it is the destination).
 */
export interface MoveCaseTable {
  lg_code: string;
  application_id: string;
  role: "origin" | "forwarder";
  counterpart_lg_code: string;
  resident_ids: ColumnType<string[], string, string>;
  planned_move_out_date: ColumnType<string, string, string>;
  status: Generated<MoveCaseStatus>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** register.annex_notice: a 附票通知 entry received by a hosted 本籍地 municipality. */
export interface AnnexNoticeTable {
  message_id: string;
  position: number;
  lg_code: string;
  from_lg_code: string;
  resident_code: string;
  person: ColumnType<unknown, string, string>;
  address_set_on: ColumnType<string, string, string>;
  reason: string;
  received_at: Generated<Date>;
}

export interface PipelineTables {
  "register.outbound_message": OutboundMessageTable;
  "register.reservation": ReservationTable;
  "register.move_case": MoveCaseTable;
  "register.annex_notice": AnnexNoticeTable;
}

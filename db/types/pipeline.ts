import type { ColumnType, Generated } from "kysely";

/** register.outbound_message: a signed 住基ネット message, stored before it is sent. */
export interface OutboundMessageTable {
  id: string;
  lg_code: string;
  to_lg_code: string;
  kind: string;
  application_id: string | null;
  in_reply_to: string | null;
  jws: string;
  status: Generated<"pending" | "accepted">;
  route: "mailbox" | "standIn" | null;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  accepted_at: Date | null;
}

export type ReservationStatus = "waiting" | "completed" | "cancelled" | "expired";

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
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PipelineTables {
  "register.outbound_message": OutboundMessageTable;
  "register.reservation": ReservationTable;
}

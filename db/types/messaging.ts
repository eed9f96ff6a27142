import type { ColumnType, Generated } from "kysely";

/** The outbox and inbox tables; the same shape in schema `portal` and schema `messaging`. */
export interface OutboxTable {
  id: string;
  seq: Generated<number>;
  lg_code: string;
  queue: string;
  job_name: string;
  payload: ColumnType<unknown, string, string>;
  ordering_key: string | null;
  sequence: number | null;
  created_at: Generated<Date>;
  published_at: Date | null;
  publish_attempts: Generated<number>;
  last_error: string | null;
}

export interface OutboxSequenceTable {
  ordering_key: string;
  last_sequence: number;
}

export interface InboxTable {
  consumer: string;
  message_id: string;
  lg_code: string;
  processed_at: Generated<Date>;
}

export interface InboxOrderTable {
  consumer: string;
  ordering_key: string;
  last_sequence: number;
}

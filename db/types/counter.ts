import type { Generated } from "kysely";

/** Tables of the back office's counter work (issue 6, item 6; migration 2026-11-26T0640_counter-changes). */

export interface ChangeRequestTable {
  request_key: string;
  lg_code: string;
  command: string;
  requested_by: string;
  /** Null while the request is being filed (claimed, not yet written). */
  approval_id: string | null;
  /** Sealed summary shown to the approver; erased once the request is decided. */
  summary_cipher: Buffer | null;
  created_at: Generated<Date>;
}

export interface CounterTables {
  "counter.change_request": ChangeRequestTable;
}

import type { Generated } from "kysely";

/** staff.session: a back-office staff session (cookie id hashed; roles copied at login). */
export interface StaffSessionTable {
  id_hash: string;
  staff_id: string;
  lg_code: string;
  name: string;
  roles: string[];
  id_token: string | null;
  csrf_secret: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

/** Tables of the back office's staff work (issue 6). */
export interface StaffTables {
  "staff.session": StaffSessionTable;
}

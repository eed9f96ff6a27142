import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { SessionStore, StoredSession } from "../../lib/session.js";
import type { StaffRole } from "../register/authorization.js";

export interface StaffSessionRow extends StoredSession {
  staffId: string;
  lgCode: string;
  name: string;
  roles: StaffRole[];
}

export interface NewStaffSession {
  staffId: string;
  lgCode: string;
  name: string;
  roles: StaffRole[];
  idToken: string | null;
}

/** staff.session, behind lib/session.ts's store interface. */
export function staffSessionStore(
  db: Kysely<BackofficeDatabase>,
): SessionStore<StaffSessionRow, NewStaffSession> {
  return {
    async find(idHash) {
      const row = await db
        .selectFrom("staff.session")
        .selectAll()
        .where("id_hash", "=", idHash)
        .executeTakeFirst();
      return row
        ? {
            idHash: row.id_hash,
            staffId: row.staff_id,
            lgCode: row.lg_code,
            name: row.name,
            roles: row.roles as StaffRole[],
            idToken: row.id_token,
            csrfSecret: row.csrf_secret,
            createdAt: row.created_at,
            lastSeenAt: row.last_seen_at,
          }
        : undefined;
    },
    async insert(row) {
      await db
        .insertInto("staff.session")
        .values({
          id_hash: row.idHash,
          staff_id: row.staffId,
          lg_code: row.lgCode,
          name: row.name,
          roles: row.roles,
          id_token: row.idToken,
          csrf_secret: row.csrfSecret,
          created_at: row.now,
          last_seen_at: row.now,
        })
        .execute();
    },
    async touch(idHash, now) {
      await db
        .updateTable("staff.session")
        .set({ last_seen_at: now })
        .where("id_hash", "=", idHash)
        .execute();
    },
    async delete(idHash) {
      await db.deleteFrom("staff.session").where("id_hash", "=", idHash).execute();
    },
    async deleteExpired(idleBefore, createdBefore) {
      const r = await db
        .deleteFrom("staff.session")
        .where((eb) => eb.or([eb("last_seen_at", "<", idleBefore), eb("created_at", "<", createdBefore)]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

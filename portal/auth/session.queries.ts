import type { Kysely } from "kysely";
import type { PortalDatabase } from "../../db/types/portal.js";
import type { CardClaims } from "./card-idp.server.js";

export interface SessionRow {
  idHash: string;
  holderSub: string;
  claims: CardClaims;
  idToken: string | null;
  csrfSecret: string;
  createdAt: Date;
  lastSeenAt: Date;
}

export async function insertSession(
  db: Kysely<PortalDatabase>,
  row: {
    idHash: string;
    holderSub: string;
    claims: CardClaims;
    idToken: string;
    csrfSecret: string;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto("portal.session")
    .values({
      id_hash: row.idHash,
      holder_sub: row.holderSub,
      claims: JSON.stringify(row.claims),
      id_token: row.idToken,
      csrf_secret: row.csrfSecret,
      created_at: row.now,
      last_seen_at: row.now,
    })
    .execute();
}

export async function findSession(
  db: Kysely<PortalDatabase>,
  idHash: string,
): Promise<SessionRow | undefined> {
  const row = await db
    .selectFrom("portal.session")
    .selectAll()
    .where("id_hash", "=", idHash)
    .executeTakeFirst();
  return row
    ? {
        idHash: row.id_hash,
        holderSub: row.holder_sub,
        claims: row.claims as CardClaims,
        idToken: row.id_token,
        csrfSecret: row.csrf_secret,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
      }
    : undefined;
}

export async function touchSession(db: Kysely<PortalDatabase>, idHash: string, now: Date): Promise<void> {
  await db.updateTable("portal.session").set({ last_seen_at: now }).where("id_hash", "=", idHash).execute();
}

export async function deleteSession(db: Kysely<PortalDatabase>, idHash: string): Promise<void> {
  await db.deleteFrom("portal.session").where("id_hash", "=", idHash).execute();
}

/** Removes sessions past either limit (called now and then; lookups check the limits anyway). */
export async function deleteExpiredSessions(
  db: Kysely<PortalDatabase>,
  idleBefore: Date,
  createdBefore: Date,
): Promise<number> {
  const r = await db
    .deleteFrom("portal.session")
    .where((eb) => eb.or([eb("last_seen_at", "<", idleBefore), eb("created_at", "<", createdBefore)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

import pg from "pg";

/**
 * The login roles, one per zone (三層の対策): each process connects with its own.
 * - portal: the internet zone; grants on schema `portal` only.
 * - backoffice: the closed zone; grants on register, audit and messaging, never on portal.
 * - queue: owns the BullMQ PostgreSQL backend's schema when the queue runs on PostgreSQL,
 *   so that neither zone's role needs a grant outside its own schemas.
 * Role names are fixed because migrations (frozen in time) grant to them by name.
 */
export const ROLES = {
  portal: "juki_portal",
  backoffice: "juki_backoffice",
  queue: "juki_queue",
} as const;

export type Zone = keyof typeof ROLES;
export type RolePasswords = Record<Zone, string>;

/** Creates the roles if missing and sets their passwords. Needs a superuser (or CREATEROLE) connection. */
export async function ensureRoles(adminUrl: string, passwords: RolePasswords): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const zone of Object.keys(ROLES) as Zone[]) {
      const role = ROLES[zone];
      const password = client.escapeLiteral(passwords[zone]);
      // CREATE ROLE has no IF NOT EXISTS; roles are cluster-wide and another database's
      // setup may be creating the same role at this moment, so tolerate the race.
      const exists = await client.query("select 1 from pg_roles where rolname = $1", [role]);
      if (exists.rowCount === 0) {
        try {
          await client.query(`create role ${role} login password ${password}`);
        } catch (err) {
          if ((err as { code?: string }).code !== "42710" && (err as { code?: string }).code !== "23505")
            throw err;
        }
      }
      // Two setups altering the same role at once: one fails with "tuple concurrently updated"
      // (XX000); the other's change is the same, but set ours again to be sure.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`alter role ${role} with login password ${password}`);
          break;
        } catch (err) {
          const concurrent = /tuple concurrently updated/.test((err as Error).message);
          if (!concurrent || attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
        }
      }
    }
  } finally {
    await client.end();
  }
}

/** Lets the roles connect to this database; CONNECT is per database, roles are per cluster. */
export async function grantConnect(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const db = (await client.query<{ db: string }>("select current_database() as db")).rows[0]!.db;
    const ident = client.escapeIdentifier(db);
    await client.query(`revoke connect on database ${ident} from public`);
    for (const role of Object.values(ROLES)) {
      await client.query(`grant connect on database ${ident} to ${role}`);
    }
    // The queue's role creates its own schema for the BullMQ backend.
    await client.query(`grant create on database ${ident} to ${ROLES.queue}`);
  } finally {
    await client.end();
  }
}

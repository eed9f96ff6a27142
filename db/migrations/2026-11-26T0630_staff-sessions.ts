import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Staff sessions of the back office (issue 6), in the closed zone: schema `staff`, reachable by
// the back office's role only. The cookie holds a random id; only its SHA-256 is stored, so a
// copy of this table cannot be replayed as cookies. Roles and municipality are copied from the
// staff IdP's ID token at login and never change during a session.

const BACKOFFICE_ROLE = "juki_backoffice";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create schema staff`.execute(db);
  await sql`grant usage on schema staff to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
  await sql`
    create table staff.session (
      id_hash text primary key,
      staff_id text not null,
      lg_code char(6) not null,
      name text not null,
      roles text[] not null,
      id_token text,
      csrf_secret text not null,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index session_staff on staff.session (staff_id)`.execute(db);
  await sql`create index session_last_seen on staff.session (last_seen_at)`.execute(db);
  await sql`grant select, insert, update, delete on staff.session to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop schema staff cascade`.execute(db);
}

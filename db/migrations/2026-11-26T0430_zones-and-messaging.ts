import { type Kysely, sql } from "kysely";

// Frozen in time: this file must never import application code, and never change once
// released. Role names are the fixed names of db/roles.ts, created before migrations run.

const PORTAL_ROLE = "juki_portal";
const BACKOFFICE_ROLE = "juki_backoffice";

/** Outbox and inbox of one zone; the same shape in `portal` (internet zone) and `messaging` (closed zone). */
async function createMessagingTables(db: Kysely<any>, schema: string): Promise<void> {
  const s = sql.id(schema);
  await sql`
    create table ${s}.outbox (
      id uuid primary key,
      seq bigserial not null unique,
      lg_code char(6) not null,
      queue text not null,
      job_name text not null,
      payload jsonb not null,
      ordering_key text,
      sequence bigint,
      created_at timestamptz not null default now(),
      published_at timestamptz,
      publish_attempts integer not null default 0,
      last_error text,
      constraint outbox_ordering_pair check ((ordering_key is null) = (sequence is null))
    )`.execute(db);
  await sql`create index outbox_unpublished on ${s}.outbox (seq) where published_at is null`.execute(db);
  await sql`
    create table ${s}.outbox_sequence (
      ordering_key text primary key,
      last_sequence bigint not null
    )`.execute(db);
  await sql`
    create table ${s}.inbox (
      consumer text not null,
      message_id uuid not null,
      lg_code char(6) not null,
      processed_at timestamptz not null default now(),
      primary key (consumer, message_id)
    )`.execute(db);
  await sql`
    create table ${s}.inbox_order (
      consumer text not null,
      ordering_key text not null,
      last_sequence bigint not null,
      primary key (consumer, ordering_key)
    )`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const schema of ["portal", "register", "audit", "messaging"]) {
    await sql`create schema ${sql.id(schema)}`.execute(db);
  }

  // Internet zone: the portal's role, on schema portal only.
  await sql`grant usage on schema portal to ${sql.id(PORTAL_ROLE)}`.execute(db);
  await sql`alter default privileges in schema portal grant select, insert, update, delete on tables to ${sql.id(PORTAL_ROLE)}`.execute(
    db,
  );
  await sql`alter default privileges in schema portal grant usage, select on sequences to ${sql.id(PORTAL_ROLE)}`.execute(
    db,
  );

  // Closed zone: the back office's role. The audit schema is append-only for it.
  for (const schema of ["register", "messaging", "audit"]) {
    await sql`grant usage on schema ${sql.id(schema)} to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
    await sql`alter default privileges in schema ${sql.id(schema)} grant usage, select on sequences to ${sql.id(BACKOFFICE_ROLE)}`.execute(
      db,
    );
  }
  for (const schema of ["register", "messaging"]) {
    await sql`alter default privileges in schema ${sql.id(schema)} grant select, insert, update, delete on tables to ${sql.id(BACKOFFICE_ROLE)}`.execute(
      db,
    );
  }
  await sql`alter default privileges in schema audit grant select, insert on tables to ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );

  await createMessagingTables(db, "portal");
  await createMessagingTables(db, "messaging");

  await sql`
    create table register.municipality (
      lg_code char(6) primary key,
      prefecture text not null,
      name text not null,
      towns jsonb not null,
      hosted boolean not null,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const schema of ["messaging", "audit", "register", "portal"]) {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  }
}

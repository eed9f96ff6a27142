import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here, never change this file once released.
// Everything personal that the portal holds lives in these tables (schema portal, internet
// zone); the portal's role gets its rights from the schema's default privileges.

const STATUSES = [
  "draft",
  "received",
  "moveOutAccepted",
  "returned",
  "awaitingVisit",
  "completed",
  "cancelled",
  "expired",
];

export async function up(db: Kysely<any>): Promise<void> {
  // Server-side sessions. The cookie holds a random id; only its SHA-256 is stored, so a copy
  // of this table cannot be replayed as cookies.
  await sql`
    create table portal.session (
      id_hash text primary key,
      holder_sub text not null,
      claims jsonb not null,
      id_token text,
      csrf_secret text not null,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index session_holder on portal.session (holder_sub)`.execute(db);
  await sql`create index session_last_seen on portal.session (last_seen_at)`.execute(db);

  const statusList = sql.join(STATUSES.map((s) => sql.lit(s)));
  await sql`
    create table portal.application (
      id uuid primary key,
      receipt_number text unique,
      holder_sub text not null,
      kind text not null check (kind in ('moveOut', 'relocation')),
      origin_lg_code char(6) not null,
      destination_lg_code char(6) not null,
      application jsonb not null,
      digest text,
      signature text,
      certificate_pem text,
      signing_request_hash text,
      status text not null check (status in (${statusList})),
      reason_code text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      submitted_at timestamptz,
      constraint application_signed check (
        status = 'draft' or (receipt_number is not null and digest is not null
          and signature is not null and certificate_pem is not null and submitted_at is not null))
    )`.execute(db);
  await sql`create index application_holder on portal.application (holder_sub, created_at desc)`.execute(db);

  await sql`
    create table portal.application_member (
      application_id uuid not null references portal.application (id) on delete cascade,
      position smallint not null,
      is_filer boolean not null,
      family_name text not null,
      given_name text not null,
      family_kana text not null,
      given_kana text not null,
      birth_date date not null,
      relationship text not null,
      card_continued_use boolean not null,
      primary key (application_id, position)
    )`.execute(db);

  // Append-only: every status an application has had, who set it and, for the back office's
  // updates, the message that carried it.
  await sql`
    create table portal.application_status_history (
      id bigserial primary key,
      application_id uuid not null references portal.application (id) on delete cascade,
      status text not null check (status in (${statusList})),
      reason_code text,
      actor text not null check (actor in ('resident', 'backoffice')),
      message_id uuid unique,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index application_status_history_app on portal.application_status_history (application_id, id)`.execute(
    db,
  );

  // Fixed-window counters for rate limits (login attempts); the key is a keyed hash, never an address.
  await sql`
    create table portal.rate_limit (
      bucket text primary key,
      window_start timestamptz not null,
      hits integer not null
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "rate_limit",
    "application_status_history",
    "application_member",
    "application",
    "session",
  ]) {
    await sql`drop table if exists ${sql.id("portal", table)}`.execute(db);
  }
}

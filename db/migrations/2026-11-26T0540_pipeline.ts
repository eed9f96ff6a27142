import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// The pipeline's tables in the closed zone (issue 5):
// - register.outbound_message: every signed message a hosted municipality's CS sends to 住基ネット
//   (転出証明書情報, moveOutRequest …), stored with its JWS before it is sent, so a retry resends the
//   very same bytes (the network answers a repeat with its first answer). The job carries its id only.
// - register.reservation: a counter reservation at the destination (転入予約), made from a
//   転出証明書情報 that arrived through the mailbox.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table register.outbound_message (
      id uuid primary key,
      lg_code char(6) not null,
      to_lg_code char(6) not null,
      kind text not null,
      application_id uuid,
      in_reply_to uuid,
      jws text not null,
      status text not null default 'pending' check (status in ('pending', 'accepted')),
      route text check (route in ('mailbox', 'standIn')),
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      accepted_at timestamptz
    )`.execute(db);
  await sql`create index outbound_message_application on register.outbound_message (application_id)`.execute(
    db,
  );
  await sql`create index outbound_message_pending on register.outbound_message (created_at) where status = 'pending'`.execute(
    db,
  );

  await sql`
    create table register.reservation (
      id uuid primary key,
      lg_code char(6) not null,
      application_id uuid,
      receipt_number text,
      certificate_id text not null,
      origin_lg_code char(6) not null,
      message_id uuid not null unique,
      people jsonb not null,
      planned_move_out_date date not null,
      planned_visit_date date,
      status text not null default 'waiting' check (status in ('waiting', 'completed', 'cancelled', 'expired')),
      certificate jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index reservation_application on register.reservation (lg_code, application_id)`.execute(
    db,
  );
  await sql`create index reservation_waiting on register.reservation (lg_code, planned_visit_date) where status = 'waiting'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.reservation`.execute(db);
  await sql`drop table register.outbound_message`.execute(db);
}

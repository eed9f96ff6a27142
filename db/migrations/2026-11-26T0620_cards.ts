import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Card work at the counter (issue 6, items 3 and 5), in the closed zone:
// - register.card_identity_check: every 本人確認 with the card against a reservation: who checked,
//   when, the outcome and which items differed (item names only, never the values).
// - register.card_operation: every card operation sent to J-LIS (継続利用, 券面記載事項変更, …),
//   claimed under the counter's request key before it is sent, with the exact request sent
//   (its id is J-LIS's idempotency key), so a retry resends the same request and J-LIS acts once.
// The back office's role reaches both through the register schema's default privileges
// (migration 0430), like every table of the register.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table register.card_identity_check (
      id uuid primary key,
      request_key text not null unique,
      lg_code char(6) not null,
      reservation_id uuid not null references register.reservation (id),
      card_last_four char(4),
      outcome text not null check (outcome in ('matched', 'mismatch', 'pinMismatch', 'locked', 'refused', 'unknownCard')),
      person_index integer,
      mismatches jsonb not null default '[]',
      refusal_reason text,
      network_level text,
      checked_by text not null,
      checked_role text not null,
      checked_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index card_identity_check_reservation on register.card_identity_check (reservation_id, checked_at)`.execute(
    db,
  );

  await sql`
    create table register.card_operation (
      id uuid primary key,
      request_key text not null unique,
      payload_digest bytea not null,
      lg_code char(6) not null,
      resident_id uuid not null references register.resident (id),
      operation text not null check (operation in
        ('continuedUse', 'surfaceUpdate', 'signCertReissue', 'issue', 'abolish', 'collect', 'unsuspend', 'return')),
      card_number char(12) not null,
      card_last_four char(4) not null,
      request jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'accepted', 'refused')),
      refusal_code text,
      refusal_message text,
      new_sign_serial text,
      attempts integer not null default 0,
      last_error text,
      requested_by text not null,
      requested_role text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz
    )`.execute(db);
  await sql`create index card_operation_resident on register.card_operation (resident_id, created_at)`.execute(
    db,
  );
  await sql`create index card_operation_pending on register.card_operation (lg_code, created_at) where status = 'pending'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.card_operation`.execute(db);
  await sql`drop table register.card_identity_check`.execute(db);
}

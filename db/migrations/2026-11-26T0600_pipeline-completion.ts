import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// The pipeline's completion side (issue 5, docs/decisions/009-pipeline-completion.md):
// - register.reservation gets its kind (a 転入予約 from a 転出証明書情報, or a 転居予約 inside one
//   municipality) and what its completion wrote (request key, result), so a completion is
//   idempotent and the back office can show it.
// - register.outbound_message may be stored unsigned (`envelope`, jws null): the CS key stays with
//   the worker that sends it (signed once, at the first send, then kept). It gets the reservation
//   it belongs to and the last error of a failed send, for the back office to follow.
// - register.move_case: what a hosted municipality knows of an online move it is the origin of
//   (or forwarded to a stand-in origin): people, counterpart, and where the case stands
//   (scheduled → cancelling → cancelled / confirmed / expired).
// - register.annex_notice: 附票通知 received by a hosted 本籍地 municipality (its 戸籍の附票 entries).
// Tables in schema register get the back office role's privileges by the schema's default
// privileges (migration 0430).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table register.reservation
      add column kind text not null default 'moveOut' check (kind in ('moveOut', 'relocation')),
      add column completion_request_key text,
      add column completion jsonb,
      add column closed_at timestamptz`.execute(db);

  await sql`
    alter table register.outbound_message
      alter column jws drop not null,
      add column envelope jsonb,
      add column reservation_id uuid,
      add column last_error text,
      add column last_attempt_at timestamptz,
      add constraint outbound_message_signable check (jws is not null or envelope is not null)`.execute(db);
  await sql`create index outbound_message_reservation on register.outbound_message (reservation_id) where reservation_id is not null`.execute(
    db,
  );

  await sql`
    create table register.move_case (
      lg_code char(6) not null,
      application_id uuid not null,
      role text not null check (role in ('origin', 'forwarder')),
      counterpart_lg_code char(6) not null,
      resident_ids jsonb not null,
      planned_move_out_date date not null,
      status text not null default 'scheduled'
        check (status in ('scheduled', 'cancelling', 'cancelled', 'confirmed', 'expired')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (lg_code, application_id)
    )`.execute(db);
  await sql`create index move_case_application on register.move_case (application_id)`.execute(db);
  await sql`create index move_case_open on register.move_case (lg_code, planned_move_out_date) where status in ('scheduled', 'cancelling')`.execute(
    db,
  );

  await sql`
    create table register.annex_notice (
      message_id uuid not null,
      position integer not null,
      lg_code char(6) not null,
      from_lg_code char(6) not null,
      resident_code char(11) not null,
      person jsonb not null,
      address_set_on date not null,
      reason text not null,
      received_at timestamptz not null default now(),
      primary key (message_id, position)
    )`.execute(db);
  await sql`create index annex_notice_person on register.annex_notice (lg_code, resident_code)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.annex_notice`.execute(db);
  await sql`drop table register.move_case`.execute(db);
  await sql`drop index register.outbound_message_reservation`.execute(db);
  await sql`
    alter table register.outbound_message
      drop constraint outbound_message_signable,
      drop column last_attempt_at,
      drop column last_error,
      drop column reservation_id,
      drop column envelope`.execute(db);
  await sql`
    alter table register.reservation
      drop column closed_at,
      drop column completion,
      drop column completion_request_key,
      drop column kind`.execute(db);
}

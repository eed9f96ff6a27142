import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// audit.log: append-only, hash-chained per municipality (lg_code). The back office's role has
// SELECT and INSERT only (default privileges of the first migration); the trigger below also
// refuses UPDATE, DELETE and TRUNCATE for everyone, the owner included, so a change needs a
// deliberate `ALTER TABLE ... DISABLE TRIGGER` by the owner, which the chain then exposes.
//
// register.approval: the four-eyes step of 職権 changes (requester and approver are two people).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table audit.log (
      id bigint primary key,
      lg_code char(6) not null,
      at timestamptz not null,
      actor text not null,
      role text not null,
      action text not null,
      subject text,
      purpose text,
      detail jsonb not null default '{}'::jsonb,
      prev_hash bytea not null,
      hash bytea not null,
      constraint log_hash_length check (octet_length(hash) = 32 and octet_length(prev_hash) = 32)
    )`.execute(db);
  // The application takes ids from this sequence under the chain lock, so ids follow chain order.
  await sql`create sequence audit.log_id_seq as bigint owned by audit.log.id`.execute(db);
  await sql`create index log_chain on audit.log (lg_code, id)`.execute(db);
  await sql`create index log_subject on audit.log (lg_code, subject, id) where subject is not null`.execute(
    db,
  );

  await sql`
    create function audit.refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit.log は追記専用です（% は許可されていません）', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`
    create trigger log_append_only before update or delete on audit.log
    for each row execute function audit.refuse_change()`.execute(db);
  await sql`
    create trigger log_no_truncate before truncate on audit.log
    for each statement execute function audit.refuse_change()`.execute(db);

  await sql`
    create table register.approval (
      id uuid primary key default gen_random_uuid(),
      lg_code char(6) not null,
      command text not null,
      payload jsonb,
      payload_cipher bytea,
      requested_by text not null,
      requested_role text not null,
      requested_at timestamptz not null default now(),
      approved_by text,
      approved_role text,
      approved_at timestamptz,
      rejected_by text,
      rejected_at timestamptz,
      status text not null default 'pending',
      consumed_at timestamptz,
      constraint approval_status check (status in ('pending', 'approved', 'rejected', 'consumed')),
      constraint approval_payload_one check (payload is null or payload_cipher is null),
      constraint approval_two_people check (approved_by is null or approved_by <> requested_by),
      constraint approval_approved check ((status in ('approved', 'consumed')) = (approved_at is not null)),
      constraint approval_consumed check ((status = 'consumed') = (consumed_at is not null))
    )`.execute(db);
  await sql`create index approval_open on register.approval (lg_code, status, requested_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.approval`.execute(db);
  await sql`drop table audit.log`.execute(db);
  await sql`drop function audit.refuse_change()`.execute(db);
}

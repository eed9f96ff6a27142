import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// The resident register (住民基本台帳) of every hosted municipality:
// - register.household: one row per 世帯; its head is the member whose relationship is 世帯主.
// - register.resident: the current record of each person (住基法 第7条, 第30条の45), one row per
//   lifecycle (a person who comes back after a 除票 gets a new row; the 除票 stays as it was).
// - register.resident_change: the append-only history (異動). The current record always equals its
//   history replayed (backoffice/register/history.ts).
// - register.command_request: one row per request key, so that a command sent twice runs once.
// - register.support_measure: 支援措置 (DV / stalking protection), outside the record's lifecycle.

const BACKOFFICE_ROLE = "juki_backoffice";

/** States that count as "current": a living record in effect. `none` is a record whose creating change was cancelled. */
const CURRENT = sql.raw(`status in ('active', 'moveOutScheduled')`);

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);

  await sql`
    create table register.household (
      id uuid primary key,
      lg_code char(6) not null references register.municipality (lg_code),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index household_lg_code on register.household (lg_code)`.execute(db);

  await sql`
    create table register.resident (
      id uuid primary key,
      lg_code char(6) not null references register.municipality (lg_code),
      household_id uuid not null references register.household (id),
      relationship text not null,
      resident_code char(11) not null,
      my_number_cipher bytea,
      my_number_index bytea,
      family_name text not null,
      given_name text not null,
      family_kana text not null,
      given_kana text not null,
      name_search text not null,
      kana_search text not null,
      birth_date date not null,
      sex text not null,
      nationality text not null,
      honseki text,
      honseki_head text,
      foreigner jsonb,
      resident_since date not null,
      address_since date not null,
      address_notified_on date,
      previous_address text,
      town text not null,
      chome integer not null,
      block integer not null,
      lot integer,
      building text,
      address_line text not null,
      qualifications jsonb not null default '{}'::jsonb,
      move_out jsonb,
      status text not null,
      removal_reason text,
      removed_on date,
      retain_until date,
      version integer not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint resident_sex check (sex in ('male', 'female')),
      constraint resident_status check (status in ('none', 'active', 'moveOutScheduled', 'removed')),
      constraint resident_removal_reason check (
        removal_reason is null or removal_reason in ('movedOut', 'deceased', 'emigrated', 'exOfficioRemoved')),
      constraint resident_removed_items check (
        (status = 'removed') = (removal_reason is not null and removed_on is not null and retain_until is not null)),
      constraint resident_my_number_pair check ((my_number_cipher is null) = (my_number_index is null)),
      constraint resident_honseki_japanese check (nationality = 'JP' or (honseki is null and honseki_head is null)),
      constraint resident_foreigner_items check ((nationality = 'JP') = (foreigner is null)),
      constraint resident_chome check (chome >= 0),
      constraint resident_block check (block > 0),
      constraint resident_lot check (lot is null or lot > 0),
      constraint resident_version check (version > 0)
    )`.execute(db);
  // A 住民票コード and a 個人番号 are national: the same person has a current record in at most one
  // place per municipality, but may have a 除票 here and a record elsewhere, or (between 特例転入 and
  // the 転入通知) a scheduled 転出 at the origin and a record at the destination.
  await sql`create unique index resident_code_current on register.resident (lg_code, resident_code) where ${CURRENT}`.execute(
    db,
  );
  await sql`create index resident_code on register.resident (resident_code)`.execute(db);
  await sql`
    create unique index resident_my_number_current on register.resident (lg_code, my_number_index)
    where ${CURRENT} and my_number_index is not null`.execute(db);
  await sql`create index resident_my_number_index on register.resident (my_number_index)`.execute(db);
  await sql`create index resident_household on register.resident (household_id)`.execute(db);
  await sql`create index resident_lg_status on register.resident (lg_code, status)`.execute(db);
  await sql`create index resident_name_trgm on register.resident using gin (name_search gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index resident_kana_trgm on register.resident using gin (kana_search gin_trgm_ops)`.execute(
    db,
  );
  // Every household has exactly one head among its living members. "At most one" is this
  // constraint (deferred, so a change of head may swap in any order inside its transaction);
  // "at least one" is checked by each command, since an empty household needs none.
  await sql`
    alter table register.resident add constraint resident_one_head
    exclude using btree (household_id with =) where (relationship = '世帯主' and ${CURRENT})
    deferrable initially deferred`.execute(db);

  await sql`
    create table register.command_request (
      request_key text primary key,
      lg_code char(6) not null,
      command text not null,
      payload_mac bytea not null,
      result jsonb,
      created_at timestamptz not null default now(),
      constraint command_request_key check (length(request_key) between 1 and 200)
    )`.execute(db);

  await sql`
    create table register.resident_change (
      id uuid primary key,
      seq bigserial not null unique,
      lg_code char(6) not null,
      resident_id uuid not null references register.resident (id),
      request_key text not null,
      kind text not null,
      origin text not null,
      effective_date date not null,
      notified_on date,
      processed_at timestamptz not null default now(),
      staff_id text,
      staff_role text,
      system_actor text,
      approval_id uuid,
      approved_by text,
      reason text,
      late boolean not null default false,
      cancels_change_id uuid unique references register.resident_change (id),
      before jsonb not null,
      after jsonb not null,
      constraint resident_change_kind check (kind in (
        'moveIn', 'specialMoveIn', 'moveOut', 'moveOutConfirm', 'moveOutCancel', 'relocation', 'birth',
        'death', 'householdChange', 'emigration', 'immigration', 'exOfficioEntry', 'exOfficioRemoval',
        'exOfficioCorrection', 'changeCancellation')),
      constraint resident_change_origin check (origin in ('notification', 'exOfficio')),
      constraint resident_change_actor check (
        (staff_id is not null and staff_role is not null and system_actor is null)
        or (staff_id is null and staff_role is null and system_actor is not null)),
      constraint resident_change_cancellation check ((kind = 'changeCancellation') = (cancels_change_id is not null)),
      constraint resident_change_once unique (request_key, resident_id)
    )`.execute(db);
  await sql`create index resident_change_history on register.resident_change (resident_id, seq)`.execute(db);
  await sql`create index resident_change_lg_date on register.resident_change (lg_code, effective_date)`.execute(
    db,
  );

  // History is append-only, for the application's role and (through the trigger) for everyone.
  await sql`revoke update, delete, truncate on register.resident_change from ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );
  await sql`
    create function register.refuse_history_change() returns trigger language plpgsql as $$
    begin
      raise exception 'register.resident_change は追記専用です（% は許可されていません）', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`
    create trigger resident_change_append_only before update or delete on register.resident_change
    for each row execute function register.refuse_history_change()`.execute(db);
  // A record is never deleted (a 除票 is kept 150 years), nor is a household.
  await sql`revoke delete, truncate on register.resident, register.household from ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );

  await sql`
    create table register.support_measure (
      id uuid primary key,
      lg_code char(6) not null,
      resident_id uuid not null references register.resident (id),
      since date not null,
      until date,
      extended_until date,
      created_at timestamptz not null default now(),
      constraint support_measure_once unique (resident_id, since)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.support_measure`.execute(db);
  await sql`drop table register.resident_change`.execute(db);
  await sql`drop function register.refuse_history_change()`.execute(db);
  await sql`drop table register.command_request`.execute(db);
  await sql`drop table register.resident`.execute(db);
  await sql`drop table register.household`.execute(db);
}

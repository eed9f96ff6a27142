import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Register performance (issue 3's benchmark targets; docs/decisions/010-audited-lookups.md).
//
// 1. Search: the b-tree prefix indexes on the name keys become covering indexes, so that the
//    name tiers of the four-item search (backoffice/register/search.queries.ts) rank every match
//    from the index alone (index-only scans) and read the table only for the rows of the page.
//    A common name matches thousands of records; reading each from the table was the slow case.
// 2. The trigram indexes on name_search / kana_search (migration 0500) are dropped: under the C
//    locale they hold no trigram for kana or kanji, the search never used them (it uses the
//    search-key columns of migration 0520), and every load paid for them.
// 3. Audit log: a view of a record (a look-up, a search, a record opened) may be written as an
//    unlinked row, committed with the read in one statement, and linked into its municipality's
//    hash chain afterwards, in order, by whoever next holds the chain's lock (appendAudit, or
//    linkPendingAudit run on a schedule). Linking sets prev_hash, hash and link_seq once, from
//    null; the trigger refuses any other change, as before, and the back office's role may
//    update only those three columns. Chain order is coalesce(link_seq, id): rows appended
//    linked keep their id as position; link_seq comes from the same sequence, under the lock.

const BACKOFFICE_ROLE = "juki_backoffice";

export async function up(db: Kysely<any>): Promise<void> {
  // 1 and 2: search indexes.
  await sql`drop index register.resident_name_trgm`.execute(db);
  await sql`drop index register.resident_kana_trgm`.execute(db);
  await sql`drop index register.resident_name_prefix`.execute(db);
  await sql`drop index register.resident_kana_prefix`.execute(db);
  await sql`
    create index resident_name_prefix on register.resident (lg_code, name_search text_pattern_ops)
    include (kana_search, birth_date, sex, status, id)`.execute(db);
  await sql`
    create index resident_kana_prefix on register.resident (lg_code, kana_search text_pattern_ops)
    include (name_search, birth_date, sex, status, id)`.execute(db);

  // 3: unlinked audit rows, linked later in chain order.
  await sql`
    alter table audit.log
      alter column prev_hash drop not null,
      alter column hash drop not null,
      add column link_seq bigint unique,
      add constraint log_linked check (
        (hash is null) = (prev_hash is null) and (link_seq is null or hash is not null))`.execute(db);
  await sql`create index log_chain_order on audit.log (lg_code, (coalesce(link_seq, id))) where hash is not null`.execute(
    db,
  );
  await sql`create index log_order on audit.log ((coalesce(link_seq, id))) where hash is not null`.execute(
    db,
  );
  await sql`create index log_unlinked on audit.log (lg_code, id) where hash is null`.execute(db);
  await sql`
    create or replace function audit.refuse_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        -- Linking an unlinked row: prev_hash, hash and link_seq go from null to a value, once;
        -- nothing else may change.
        if old.hash is null and old.prev_hash is null and old.link_seq is null
           and new.hash is not null and new.prev_hash is not null and new.link_seq is not null
           and (new.id, new.lg_code, new.at, new.actor, new.role, new.action, new.subject, new.purpose, new.detail)
               is not distinct from
               (old.id, old.lg_code, old.at, old.actor, old.role, old.action, old.subject, old.purpose, old.detail)
        then
          return new;
        end if;
      end if;
      raise exception 'audit.log は追記専用です（% は許可されていません）', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`grant update (prev_hash, hash, link_seq) on audit.log to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`revoke update (prev_hash, hash, link_seq) on audit.log from ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );
  await sql`
    create or replace function audit.refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit.log は追記専用です（% は許可されていません）', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`drop index audit.log_unlinked`.execute(db);
  await sql`drop index audit.log_order`.execute(db);
  await sql`drop index audit.log_chain_order`.execute(db);
  await sql`alter table audit.log drop constraint log_linked, drop column link_seq`.execute(db);
  await sql`alter table audit.log alter column prev_hash set not null, alter column hash set not null`.execute(
    db,
  );
  await sql`drop index register.resident_kana_prefix`.execute(db);
  await sql`drop index register.resident_name_prefix`.execute(db);
  await sql`create index resident_name_prefix on register.resident (lg_code, name_search text_pattern_ops)`.execute(
    db,
  );
  await sql`create index resident_kana_prefix on register.resident (lg_code, kana_search text_pattern_ops)`.execute(
    db,
  );
  await sql`create index resident_name_trgm on register.resident using gin (name_search gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index resident_kana_trgm on register.resident using gin (kana_search gin_trgm_ops)`.execute(
    db,
  );
}

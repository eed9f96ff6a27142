import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Indexes for the register's search (backoffice/register/search.queries.ts) on register.resident
// (created by 2026-11-26T0500_register; this migration adds a function, two generated columns
// and indexes, and changes nothing that the register's own code writes or reads).
//
// 1. Exact and prefix matches of the name keys: b-tree with text_pattern_ops, which serves
//    `LIKE 'q%'` whatever the database's collation.
// 2. Contained and similar names: pg_trgm keeps only characters its locale calls alphanumeric.
//    Under the C locale (the embedded server's, and a common production choice) no kana or kanji
//    is, so a Japanese name yields no trigram: similarity is 0 and a trigram index cannot serve
//    LIKE. The trigram indexes therefore cover `name_key` / `kana_key`, generated columns holding
//    `register.search_key(key)`: every character becomes four hex digits of a bijective scramble of
//    its code point (BMP), ASCII in every locale. Stored rather than an index expression, because
//    a trigram index is lossy: every candidate is rechecked, and recomputing the key (a few µs)
//    for thousands of candidates made a broad search take seconds.
//    A substring of a name is a substring of its search key (at a multiple of four), and trigram
//    similarity of search keys ranks near misses (スミタタロウ ~ スミダタロウ). Plain hex of the
//    UTF-8 bytes was tried first: every kana shares its lead bytes, so unrelated kana names looked
//    alike and the index selected most of the table. A match at a position that is not a
//    character boundary is removed by rechecking the key itself.
// 3. Birth date, for four-item searches that give one.

export async function up(db: Kysely<any>): Promise<void> {
  // 40503 is invertible modulo the prime 65521, so code points below 65521 never collide.
  await sql`
    create function register.search_key(value text) returns text
    language plpgsql immutable strict parallel safe
    as $$
    declare
      out text := '';
      ch text;
    begin
      foreach ch in array string_to_array(value, null) loop
        out := out || lpad(to_hex((ascii(ch)::bigint * 40503) % 65521), 4, '0');
      end loop;
      return out;
    end
    $$`.execute(db);
  await sql`
    create index resident_name_prefix on register.resident (lg_code, name_search text_pattern_ops)`.execute(
    db,
  );
  await sql`
    create index resident_kana_prefix on register.resident (lg_code, kana_search text_pattern_ops)`.execute(
    db,
  );
  await sql`
    alter table register.resident
      add column name_key text generated always as (register.search_key(name_search)) stored,
      add column kana_key text generated always as (register.search_key(kana_search)) stored`.execute(db);
  await sql`create index resident_name_key_trgm on register.resident using gin (name_key gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index resident_kana_key_trgm on register.resident using gin (kana_key gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index resident_lg_birth_date on register.resident (lg_code, birth_date)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index register.resident_lg_birth_date`.execute(db);
  await sql`drop index register.resident_kana_key_trgm`.execute(db);
  await sql`drop index register.resident_name_key_trgm`.execute(db);
  await sql`alter table register.resident drop column kana_key, drop column name_key`.execute(db);
  await sql`drop index register.resident_kana_prefix`.execute(db);
  await sql`drop index register.resident_name_prefix`.execute(db);
  await sql`drop function register.search_key(text)`.execute(db);
}

import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Indexes for the register's search (backoffice/register/search.queries.ts) on register.resident
// (created by 2026-11-26T0500_register; this migration adds indexes only).
//
// pg_trgm keeps only characters its locale calls alphanumeric. Under the C locale (the embedded
// server's, and a common production choice) no kana or kanji is, so a Japanese name yields no
// trigram at all: similarity is 0 and a trigram index cannot serve LIKE. The search therefore
// indexes the hexadecimal form of the UTF-8 bytes of the search keys, which is ASCII in every
// locale: a substring of a name is a substring of its hex form (each character is a fixed run of
// bytes), and trigram similarity over the hex form ranks near misses (スミタタロウ ~ スミダタロウ).
// Hex matches at a position that is not a character boundary are removed by rechecking the
// original column.

export async function up(db: Kysely<any>): Promise<void> {
  // IMMUTABLE although convert_to is STABLE: the database encoding (UTF8) never changes.
  await sql`
    create function register.search_hex(value text) returns text
    language sql immutable parallel safe strict
    as $$ select encode(convert_to(value, 'UTF8'), 'hex') $$`.execute(db);
  await sql`
    create index resident_name_hex_trgm on register.resident
    using gin (register.search_hex(name_search) gin_trgm_ops)`.execute(db);
  await sql`
    create index resident_kana_hex_trgm on register.resident
    using gin (register.search_hex(kana_search) gin_trgm_ops)`.execute(db);
  // Four-item searches that give a birth date (with or without a name).
  await sql`create index resident_lg_birth_date on register.resident (lg_code, birth_date)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index register.resident_lg_birth_date`.execute(db);
  await sql`drop index register.resident_kana_hex_trgm`.execute(db);
  await sql`drop index register.resident_name_hex_trgm`.execute(db);
  await sql`drop function register.search_hex(text)`.execute(db);
}

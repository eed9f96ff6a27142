import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// The four-item search reads the address item into town, 丁目, 番 and 号
// (backoffice/register/address-query.ts) and matches those columns of register.resident instead
// of scanning every address line.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index resident_lg_address on register.resident (lg_code, town, chome, block)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index register.resident_lg_address`.execute(db);
}

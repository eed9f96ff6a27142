import type { Kysely } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Certificates issued (issue 6): slot reserved; filled by the certificate work.

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}

import type { Kysely } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// The pipeline's completion side (issue 5): slot reserved; filled by the pipeline work.

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}

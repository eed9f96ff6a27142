import type { Kysely } from "kysely";
import type { World } from "../lib/world.js";
import type { BackofficeDatabase } from "./types/backoffice.js";

/**
 * Seeds every municipality of the world file (hosted or known only to the network
 * stand-in), idempotently: a second start inserts nothing and changes nothing.
 * Returns how many rows were new.
 */
export async function seedMunicipalities(db: Kysely<BackofficeDatabase>, world: World): Promise<number> {
  if (world.municipalities.length === 0) return 0;
  const result = await db
    .insertInto("register.municipality")
    .values(
      world.municipalities.map((m) => ({
        lg_code: m.lgCode,
        prefecture: m.prefecture,
        name: m.name,
        towns: JSON.stringify(m.towns),
        hosted: m.hosted,
      })),
    )
    .onConflict((oc) => oc.column("lg_code").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

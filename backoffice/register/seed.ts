/**
 * Seeds the register of the hosted municipalities from the world file (issue 3, item 9):
 * households, residents (each with its first history row, so that the record equals its history
 * replayed) and support measures. Idempotent: ids are derived from the world file's own ids, and
 * a second run inserts nothing. Any world file of the same shape works.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { World, WorldPerson } from "../../lib/world.js";
import { appendAudit } from "./audit.js";
import { type MyNumberKeys, sealMyNumber } from "./my-number.js";
import { diffRecords, type ForeignerItems, type ResidentState, stateToRow } from "./record.js";

/** A stable UUID (version 8, RFC 9562 "custom") from a name: the same world gives the same ids. */
export function stableUuid(name: string): string {
  const h = createHash("sha256").update(name, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function worldHouseholdId(lgCode: string, householdId: string): string {
  return stableUuid(`juki:world:household:${lgCode}:${householdId}`);
}

export function worldResidentId(person: Pick<WorldPerson, "id" | "lgCode" | "residentCode">): string {
  return stableUuid(`juki:world:person:${person.lgCode}:${person.id}:${person.residentCode}`);
}

/** The request key of the seed's history rows (one per municipality; no command request). */
export function seedRequestKey(lgCode: string): string {
  return `seed:world:${lgCode}`;
}

export const SEED_ACTOR = { system: "seed" } as const;

export interface SeedResult {
  households: number;
  residents: number;
  supportMeasures: number;
}

function personState(person: WorldPerson, householdId: string, keys: MyNumberKeys): ResidentState {
  const sealed = sealMyNumber(person.myNumber, keys);
  const japanese = person.nationality === "JP";
  const a = person.address;
  return {
    lgCode: person.lgCode,
    householdId,
    relationship: person.relationship,
    residentCode: person.residentCode,
    myNumberCipher: sealed.cipher.toString("base64"),
    myNumberIndex: sealed.index.toString("base64"),
    familyName: person.name.family,
    givenName: person.name.given,
    familyKana: person.name.familyKana,
    givenKana: person.name.givenKana,
    birthDate: person.birthDate,
    sex: person.sex,
    nationality: person.nationality,
    honseki: japanese ? (person.honseki?.address ?? null) : null,
    honsekiHead: japanese ? (person.honseki?.headOfFamily ?? null) : null,
    foreigner: japanese
      ? null
      : ({
          becameResidentOn: person.residentSince,
          ...(person.foreigner ?? {}),
        } as unknown as ForeignerItems),
    residentSince: person.residentSince,
    addressSince: person.addressSince,
    addressNotifiedOn: null,
    previousAddress: null,
    town: a.town,
    chome: a.chome,
    block: a.block,
    lot: a.lot ?? null,
    building: a.building ?? null,
    addressLine: a.line,
    qualifications: {},
    moveOut: null,
    status: "active",
    removalReason: null,
    removedOn: null,
    retainUntil: null,
  };
}

/**
 * Loads the hosted municipalities' households and people. Call after seedMunicipalities (the
 * municipalities must exist). One transaction: all or nothing.
 */
export async function seedRegister(
  db: Kysely<BackofficeDatabase>,
  world: World,
  keys: MyNumberKeys,
): Promise<SeedResult> {
  const hosted = new Set(world.municipalities.filter((m) => m.hosted).map((m) => m.lgCode));
  const people = world.people.filter((p) => hosted.has(p.lgCode));
  const result: SeedResult = { households: 0, residents: 0, supportMeasures: 0 };
  if (people.length === 0) return result;

  return db.transaction().execute(async (trx) => {
    const ids = people.map(worldResidentId);
    const existing = new Set(
      (await trx.selectFrom("register.resident").select("id").where("id", "in", ids).execute()).map(
        (r) => r.id,
      ),
    );
    const fresh = people.filter((p) => !existing.has(worldResidentId(p)));

    const householdIds = new Map<string, string>();
    for (const h of world.households.filter((x) => hosted.has(x.lgCode))) {
      householdIds.set(`${h.lgCode}:${h.id}`, worldHouseholdId(h.lgCode, h.id));
    }
    for (const p of people) {
      const key = `${p.lgCode}:${p.householdId}`;
      if (!householdIds.has(key)) householdIds.set(key, worldHouseholdId(p.lgCode, p.householdId));
    }
    for (const [key, id] of householdIds) {
      const inserted = await trx
        .insertInto("register.household")
        .values({ id, lg_code: key.slice(0, 6) })
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      result.households += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }

    const byLgCode = new Map<string, number>();
    for (const p of fresh) {
      const id = worldResidentId(p);
      const state = personState(p, householdIds.get(`${p.lgCode}:${p.householdId}`)!, keys);
      await trx
        .insertInto("register.resident")
        .values(stateToRow(id, state, 1))
        .execute();
      const diff = diffRecords(null, state);
      await trx
        .insertInto("register.resident_change")
        .values({
          id: stableUuid(`juki:world:change:${id}`),
          lg_code: p.lgCode,
          resident_id: id,
          request_key: seedRequestKey(p.lgCode),
          kind: "exOfficioEntry",
          origin: "exOfficio",
          effective_date: p.residentSince,
          notified_on: null,
          system_actor: SEED_ACTOR.system,
          reason: "既存の住民記録の移行（world file）",
          before: JSON.stringify(diff.before),
          after: JSON.stringify(diff.after),
        })
        .execute();
      result.residents++;
      byLgCode.set(p.lgCode, (byLgCode.get(p.lgCode) ?? 0) + 1);
    }

    for (const p of people) {
      if (!p.supportMeasure) continue;
      const inserted = await trx
        .insertInto("register.support_measure")
        .values({
          id: stableUuid(`juki:world:support:${worldResidentId(p)}:${p.supportMeasure.since}`),
          lg_code: p.lgCode,
          resident_id: worldResidentId(p),
          since: p.supportMeasure.since,
          until: p.supportMeasure.until ?? null,
          extended_until: p.supportMeasure.extendedUntil ?? null,
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      result.supportMeasures += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }

    // One audit row per municipality and run: counts only.
    for (const [lgCode, residents] of byLgCode) {
      await appendAudit(trx, {
        lgCode,
        actor: SEED_ACTOR,
        action: "register.seed",
        detail: { residents, source: "world" },
      });
    }
    return result;
  });
}

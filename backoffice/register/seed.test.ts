import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedMunicipalities } from "../../db/seed.js";
import { loadWorld, type World } from "../../lib/world.js";
import { makeLgCode } from "./identifiers.js";
import { openMyNumber } from "./my-number.js";
import { activeSupportMeasure } from "./records.queries.js";
import { seedRegister, worldHouseholdId, worldResidentId } from "./seed.js";
import {
  counts,
  householdsBreakingHeadRule,
  newMyNumber,
  newResidentCode,
  type RegisterFixture,
  registerFixture,
  replayMismatches,
} from "./test-support.js";
import { toWareki } from "./wareki.js";

let f: RegisterFixture;
let world: World;
const dir = mkdtempSync(path.join(tmpdir(), "juki-seed-"));

beforeAll(async () => {
  f = await registerFixture();
  world = f.world;
});
afterAll(async () => {
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostedPeople = (w: World) => {
  const hosted = new Set(w.municipalities.filter((m) => m.hosted).map((m) => m.lgCode));
  return w.people.filter((p) => hosted.has(p.lgCode));
};

describe("seedRegister", () => {
  it("loads every hosted person once; a second run inserts nothing", async () => {
    const people = hostedPeople(world);
    const first = await seedRegister(f.db, world, f.keys);
    expect(first.residents).toBe(people.length);
    expect(first.supportMeasures).toBe(people.filter((p) => p.supportMeasure).length);
    const before = await counts(f.db);
    const second = await seedRegister(f.db, world, f.keys);
    expect(second).toEqual({ households: 0, residents: 0, supportMeasures: 0 });
    expect(await counts(f.db)).toEqual(before);
  });

  it("keeps each person's items, household and 続柄", async () => {
    for (const p of hostedPeople(world)) {
      const row = await f.db
        .selectFrom("register.resident")
        .selectAll()
        .where("id", "=", worldResidentId(p))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        lg_code: p.lgCode,
        resident_code: p.residentCode,
        family_name: p.name.family,
        given_name: p.name.given,
        family_kana: p.name.familyKana,
        given_kana: p.name.givenKana,
        birth_date: p.birthDate,
        sex: p.sex,
        nationality: p.nationality,
        relationship: p.relationship,
        household_id: worldHouseholdId(p.lgCode, p.householdId),
        address_line: p.address.line,
        town: p.address.town,
        chome: p.address.chome,
        status: "active",
        version: 1,
      });
      expect(openMyNumber(row.my_number_cipher!, f.keys)).toBe(p.myNumber);
      if (p.foreigner) expect(row.foreigner).toMatchObject(p.foreigner);
      else expect(row.foreigner).toBeNull();
      if (p.honseki)
        expect({ honseki: row.honseki, head: row.honseki_head }).toEqual({
          honseki: p.honseki.address,
          head: p.honseki.headOfFamily,
        });
      const measure = await activeSupportMeasure(f.db, row.id, p.supportMeasure?.since ?? "2026-11-26");
      expect(Boolean(measure)).toBe(Boolean(p.supportMeasure));
    }
    expect(await replayMismatches(f.db)).toEqual([]);
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
  });

  it("passes the acceptance checks on the demo world (when those people are in it)", async () => {
    const taro = world.people.find((p) => p.name.family === "墨田" && p.name.given === "太郎");
    if (taro) {
      const members = await f.db
        .selectFrom("register.resident")
        .select(["given_name", "relationship"])
        .where("household_id", "=", worldHouseholdId(taro.lgCode, taro.householdId))
        .execute();
      expect(members).toHaveLength(3);
      expect(members.find((m) => m.relationship === "世帯主")?.given_name).toBe("太郎");
    }
    const foreigner = hostedPeople(world).find((p) => p.foreigner);
    if (foreigner) {
      const row = await f.db
        .selectFrom("register.resident")
        .select(["foreigner", "honseki"])
        .where("id", "=", worldResidentId(foreigner))
        .executeTakeFirstOrThrow();
      expect(row.honseki).toBeNull();
      expect(row.foreigner).toMatchObject({ category: foreigner.foreigner!.category });
    }
    const tome = world.people.find((p) => p.name.family === "業平" && p.name.given === "トメ");
    if (tome) {
      const row = await f.db
        .selectFrom("register.resident")
        .select("birth_date")
        .where("id", "=", worldResidentId(tome))
        .executeTakeFirstOrThrow();
      expect(toWareki(row.birth_date)).toBe("昭和10年2月11日");
    }
  });

  it("reads any world file of the same shape", async () => {
    const lgCode = makeLgCode("99998");
    const other: World = {
      municipalities: [
        {
          lgCode,
          prefecture: "試験県",
          name: "試験市",
          hosted: true,
          towns: [{ name: "本町", chomeMax: 3 }],
        },
      ],
      households: [
        {
          id: "H-A",
          lgCode,
          address: { town: "本町", chome: 2, block: 5, lot: 1, line: "試験県試験市本町二丁目5番1号" },
        },
      ],
      people: ["世帯主", "子"].map((relationship, i) => ({
        id: `X${i}`,
        residentCode: newResidentCode(),
        myNumber: newMyNumber(),
        name: { family: "別世界", given: `人${i}`, familyKana: "ベツセカイ", givenKana: "ヒト" },
        birthDate: i === 0 ? "1970-01-01" : "2000-01-01",
        sex: "female" as const,
        lgCode,
        householdId: "H-A",
        relationship,
        address: { town: "本町", chome: 2, block: 5, lot: 1, line: "試験県試験市本町二丁目5番1号" },
        residentSince: "2000-01-01",
        addressSince: "2000-01-01",
        nationality: "JP",
        honseki: { address: "試験県試験市本町二丁目5番地", headOfFamily: "別世界人0" },
      })),
      staff: [],
    };
    const file = path.join(dir, "world.json");
    writeFileSync(file, JSON.stringify(other));
    const loaded = loadWorld(file);
    await seedMunicipalities(f.db, loaded);
    expect(await seedRegister(f.db, loaded, f.keys)).toEqual({
      households: 1,
      residents: 2,
      supportMeasures: 0,
    });
    expect(await seedRegister(f.db, loaded, f.keys)).toEqual({
      households: 0,
      residents: 0,
      supportMeasures: 0,
    });
    const rows = await f.db
      .selectFrom("register.resident")
      .select("household_id")
      .where("lg_code", "=", lgCode)
      .execute();
    expect(new Set(rows.map((r) => r.household_id))).toEqual(new Set([worldHouseholdId(lgCode, "H-A")]));
  });
});

import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay } from "./history.js";
import { isValidMyNumber, isValidResidentCode } from "./identifiers.js";
import { openMyNumber } from "./my-number.js";
import { HEAD, rowToState } from "./record.js";
import { loadHistory, toHistoryEntries } from "./records.queries.js";
import { generateHouseholds, loadSyntheticResidents } from "./synthetic.js";
import { householdsBreakingHeadRule, type RegisterFixture, registerFixture } from "./test-support.js";

const TODAY = "2026-11-26";

describe("generateHouseholds (pure)", () => {
  const municipality = {
    lgCode: "131075",
    prefecture: "東京都",
    name: "墨田区",
    towns: [
      { name: "吾妻橋", chomeMax: 3 },
      { name: "上野公園", chomeMax: 0 },
    ],
  };
  const households = [
    ...generateHouseholds({ municipality, count: 5_000, seed: 7, today: TODAY, startCounter: 0 }),
  ];
  const people = households.flatMap((h) => h.members);

  it("makes exactly the residents asked for, in households of 1 to 6 with one head each", () => {
    expect(people).toHaveLength(5_000);
    for (const h of households) {
      expect(h.members.length).toBeGreaterThanOrEqual(1);
      expect(h.members.length).toBeLessThanOrEqual(6);
      expect(h.members.filter((m) => m.state.relationship === HEAD)).toHaveLength(1);
      expect(new Set(h.members.map((m) => m.state.addressLine)).size).toBe(1);
    }
    const sizes = new Set(households.map((h) => h.members.length));
    expect([...sizes].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("gives valid, unique codes and names with kana on the municipality's towns", () => {
    expect(
      people.every((p) => isValidResidentCode(p.state.residentCode) && isValidMyNumber(p.myNumber)),
    ).toBe(true);
    expect(new Set(people.map((p) => p.state.residentCode)).size).toBe(people.length);
    expect(new Set(people.map((p) => p.myNumber)).size).toBe(people.length);
    for (const p of people) {
      expect(["吾妻橋", "上野公園"]).toContain(p.state.town);
      if (p.state.town === "上野公園") expect(p.state.chome).toBe(0);
      expect(p.state.familyKana).toMatch(/^[ァ-ヺー・ ]+$/);
      expect(p.state.givenKana).toMatch(/^[ァ-ヺー・ ]+$/);
      expect(p.state.addressLine.startsWith("東京都墨田区")).toBe(true);
      expect(p.state.birthDate <= TODAY).toBe(true);
      expect(p.state.residentSince >= p.state.birthDate).toBe(true);
      if (p.state.nationality === "JP") expect(p.state.honseki).toBeTruthy();
      else expect(p.state.foreigner?.residenceCardNumber).toMatch(/^[A-Z]{2}\d{8}[A-Z]{2}$/);
    }
    expect(people.some((p) => p.state.nationality !== "JP")).toBe(true);
  });

  it("is reproducible from its seed", () => {
    const again = [
      ...generateHouseholds({ municipality, count: 50, seed: 7, today: TODAY, startCounter: 0 }),
    ];
    expect(again.flatMap((h) => h.members.map((m) => m.state.familyName + m.state.givenName))).toEqual(
      people
        .slice(0, again.flatMap((h) => h.members).length)
        .map((m) => m.state.familyName + m.state.givenName),
    );
  });
});

describe("loadSyntheticResidents (COPY)", () => {
  let f: RegisterFixture;
  let client: pg.Client;
  beforeAll(async () => {
    f = await registerFixture();
    client = new pg.Client({ connectionString: f.t.backofficeUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await f?.close();
  });

  it("loads residents with their history and codes that do not collide across runs", async () => {
    const lgCode = f.municipality.lgCode;
    const progress: number[] = [];
    const first = await loadSyntheticResidents(client, {
      lgCode,
      count: 2_500,
      seed: 1,
      today: TODAY,
      keys: f.keys,
      batchSize: 1_000,
      onProgress: (n) => progress.push(n),
    });
    expect(first.residents).toBe(2_500);
    expect(first.rowsPerSecond).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(2_500);
    const second = await loadSyntheticResidents(client, {
      lgCode,
      count: 500,
      seed: 1,
      today: TODAY,
      keys: f.keys,
    });
    expect(second.residents).toBe(500);

    const n = await sql<{ residents: number; codes: number; households: number }>`
      select count(*)::int as residents, count(distinct resident_code)::int as codes,
             count(distinct household_id)::int as households
      from register.resident where lg_code = ${lgCode}`.execute(f.db);
    expect(n.rows[0]).toMatchObject({
      residents: 3_000,
      codes: 3_000,
      households: first.households + second.households,
    });
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);

    const towns = new Set(f.municipality.towns.map((t) => t.name));
    const sample = await f.db
      .selectFrom("register.resident")
      .selectAll()
      .where("lg_code", "=", lgCode)
      .limit(200)
      .execute();
    for (const row of sample) {
      expect(towns.has(row.town)).toBe(true);
      expect(isValidMyNumber(openMyNumber(row.my_number_cipher!, f.keys))).toBe(true);
      const replayed = replay(toHistoryEntries(await loadHistory(f.db, row.id)));
      expect(replayed?.state).toEqual(rowToState(row));
      expect(replayed?.version).toBe(row.version);
    }
    const audit = await sql<{ n: number }>`
      select count(*)::int as n from audit.log where action = 'register.syntheticLoad' and lg_code = ${lgCode}`.execute(
      f.db,
    );
    expect(audit.rows[0]!.n).toBe(2);
  });

  it("a bulk load (owner only, an empty municipality) rebuilds every index and constraint, generated in worker threads", async () => {
    const other = f.world.municipalities.find((m) => m.hosted && m.lgCode !== f.municipality.lgCode);
    if (!other) throw new Error("the world file needs a second hosted municipality");
    const catalog = async () =>
      (
        await sql<{ def: string }>`
          select pg_get_indexdef(indexrelid) as def from pg_index
          where indrelid in ('register.household'::regclass, 'register.resident'::regclass, 'register.resident_change'::regclass)
          union all
          select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
          from pg_constraint
          where conrelid in ('register.household'::regclass, 'register.resident'::regclass, 'register.resident_change'::regclass)
             or confrelid in ('register.household'::regclass, 'register.resident'::regclass, 'register.resident_change'::regclass)
          order by 1`.execute(f.db)
      ).rows.map((r) => r.def);
    const before = await catalog();
    const options = { lgCode: other.lgCode, count: 3_000, seed: 3, today: TODAY, keys: f.keys, bulk: true };

    // The back office's role does not own the tables: refused, nothing written.
    await expect(loadSyntheticResidents(client, options)).rejects.toThrow(/owner/);
    const owner = new pg.Client({ connectionString: f.t.adminUrl });
    await owner.connect();
    try {
      const phases: string[] = [];
      const loaded = await loadSyntheticResidents(owner, {
        ...options,
        batchSize: 700,
        workers: 2,
        onPhase: (phase) => phases.push(phase),
      });
      expect(loaded.residents).toBe(3_000);
      expect(phases).toEqual([
        "generate and copy",
        "indexes",
        "primary keys, unique and exclusion constraints",
        "foreign keys",
      ]);
      // Only into a municipality without residents: a second bulk load is refused, nothing written.
      await expect(loadSyntheticResidents(owner, options)).rejects.toThrow(/already has residents/);
    } finally {
      await owner.end();
    }
    expect(await catalog()).toEqual(before);

    const n = await sql<{ residents: number; codes: number }>`
      select count(*)::int as residents, count(distinct resident_code)::int as codes
      from register.resident where lg_code = ${other.lgCode}`.execute(f.db);
    expect(n.rows[0]).toEqual({ residents: 3_000, codes: 3_000 });
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
    const sample = await f.db
      .selectFrom("register.resident")
      .selectAll()
      .where("lg_code", "=", other.lgCode)
      .orderBy("resident_code")
      .limit(50)
      .execute();
    for (const row of sample) {
      expect(isValidMyNumber(openMyNumber(row.my_number_cipher!, f.keys))).toBe(true);
      const replayed = replay(toHistoryEntries(await loadHistory(f.db, row.id)));
      expect(replayed?.state).toEqual(rowToState(row));
    }
    // The population depends on the seed and chunk size, not on the number of threads.
    const inline = [
      ...generateHouseholds({
        municipality: other,
        count: 700,
        seed: (3 + Math.imul(0, 0x9e3779b9)) >>> 0,
        today: TODAY,
        startCounter: Number(sample[0]!.resident_code.slice(2, 10)),
      }),
    ].flatMap((h) =>
      h.members.map((m) => `${m.state.residentCode} ${m.state.familyName}${m.state.givenName}`),
    );
    expect(inline.sort().slice(0, 50)).toEqual(
      sample.map((r) => `${r.resident_code} ${r.family_name}${r.given_name}`),
    );
  });

  it("refuses a municipality that is not hosted and writes nothing", async () => {
    const notHosted = f.world.municipalities.find((m) => !m.hosted);
    if (!notHosted) return;
    await expect(
      loadSyntheticResidents(client, { lgCode: notHosted.lgCode, count: 10, today: TODAY, keys: f.keys }),
    ).rejects.toThrow(/not a hosted municipality/);
  });
});

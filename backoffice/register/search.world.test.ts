import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostedMunicipalities, loadWorld, type WorldPerson } from "../../lib/world.js";
import { verifyAuditChain } from "./audit.js";
import type { Actor } from "./authorization.js";
import { findByMyNumber, findByResidentCode, searchResidents } from "./search.queries.js";
import { seedRegister, worldResidentId } from "./seed.js";
import { type RegisterFixture, registerFixture } from "./test-support.js";

/**
 * Search over the seeded world file: every hosted person is found by each way the counter has.
 * Written against the world's shape, not its demo people, so another world file works as well.
 */
const world = loadWorld();
const hosted = new Set(hostedMunicipalities(world).map((m) => m.lgCode));
const people = world.people.filter((p) => hosted.has(p.lgCode));

let f: RegisterFixture;
beforeAll(async () => {
  f = await registerFixture();
  await seedRegister(f.db, world, f.keys);
});
afterAll(async () => {
  await f.close();
});

function clerkOf(lgCode: string): Actor {
  const s = world.staff.find((x) => x.lgCode === lgCode && x.roles.includes("clerk"));
  return { staffId: s?.id ?? `test-clerk-${lgCode}`, lgCode, roles: ["clerk"] };
}

/** Katakana → hiragana, and a full-width space between family and given: how a resident might type it. */
function typed(p: WorldPerson): string {
  const hira = (s: string) =>
    s.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
  return `${hira(p.name.familyKana)}\u3000${hira(p.name.givenKana)}`;
}

const purpose = "住民記録の確認（テスト）";

describe("search over the seeded world", () => {
  it.each(people.map((p) => [p.id, p] as const))(
    "%s is found by each identifier and by the four items",
    async (_id, p) => {
      const actor = clerkOf(p.lgCode);
      const id = worldResidentId(p);
      const args = { lgCode: p.lgCode, actor, purpose };
      expect((await findByResidentCode(f.db, { ...args, residentCode: p.residentCode }))?.id).toBe(id);
      expect((await findByMyNumber(f.db, { ...args, myNumber: p.myNumber }, f.keys))?.id).toBe(id);
      const byKana = await searchResidents(f.db, { ...args, name: typed(p) });
      expect(byKana.rows.find((r) => r.id === id)?.score).toBe(1);
      const byFour = await searchResidents(f.db, {
        ...args,
        name: `${p.name.family} ${p.name.given}`,
        birthDate: p.birthDate,
        sex: p.sex,
        address: p.address.line.split(/\s/)[0]!.slice(-8),
      });
      expect(byFour.rows.map((r) => r.id)).toEqual([id]);
    },
  );

  it("a household is found by its family name", async () => {
    const byHousehold = new Map<string, WorldPerson[]>();
    for (const p of people)
      byHousehold.set(`${p.lgCode}:${p.householdId}`, [
        ...(byHousehold.get(`${p.lgCode}:${p.householdId}`) ?? []),
        p,
      ]);
    for (const members of byHousehold.values()) {
      const head = members[0]!;
      const sameFamily = members.filter((m) => m.name.familyKana === head.name.familyKana);
      const page = await searchResidents(f.db, {
        lgCode: head.lgCode,
        actor: clerkOf(head.lgCode),
        purpose,
        name: head.name.familyKana,
        limit: 100,
      });
      const found = new Set(page.rows.map((r) => r.id));
      for (const m of sameFamily) expect(found.has(worldResidentId(m)), m.id).toBe(true);
    }
    expect(await verifyAuditChain(f.db)).toMatchObject({ ok: true });
  });
});

import { randomUUID } from "node:crypto";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld, type World, type WorldPerson } from "../../lib/world.js";
import { mswHandlers } from "../kit.js";
import { type AppliedIdentityUpdate, type JukiNetSystem, jukiNet } from "./index.js";
import { Directory } from "./municipalities.js";
import { CsClient, hosted, neighbour, peopleOf, tempDataDir, withClone } from "./testing.js";

/**
 * Identity information through the msw handlers (the same routes the mocks process serves):
 * updates applied in order per person, duplicates without effect; look-ups by 住民票コード, by
 * 個人番号 (body only) and by the four items, own municipality → prefecture → nation.
 */
const BASE = "http://juki-net.test";
const base = loadWorld();
const asker = hosted(base)[0]!;
const local = peopleOf(base, asker.lgCode)[0]!;
if (!local) throw new Error("the first hosted municipality has no resident");

// Someone in another municipality of the asker's prefecture, and someone in another prefecture;
// plus a twin of `local` (same name, birth date, sex) elsewhere in the prefecture.
const samePref = withClone(
  base,
  { ...local, name: { ...local.name, given: `${local.name.given}二` } },
  neighbour(base, asker.lgCode, true),
);
const farAway = withClone(samePref.world, local, neighbour(base, asker.lgCode, false));
const twin = withClone(farAway.world, local, neighbour(base, asker.lgCode, true));
// Someone of the asker's own who dies in a test.
const mortal = withClone(
  twin.world,
  { ...local, name: { ...local.name, given: `${local.name.given}三` } },
  asker.lgCode,
);
const world: World = mortal.world;

let data: ReturnType<typeof tempDataDir>;
let system: JukiNetSystem;
let cs: CsClient;
const server = setupServer();
/** What the stand-in passed on to the other stand-ins (mocks/server.ts: J-LIS's JPKI). */
const heard: AppliedIdentityUpdate[] = [];

beforeAll(() => {
  data = tempDataDir();
  system = jukiNet(world, {
    dataDir: data.dir,
    fsync: false,
    onIdentityUpdate: (u) => heard.push(u),
  });
  server.use(...mswHandlers(system, BASE));
  server.listen({ onUnhandledRequest: "error" });
  cs = new CsClient(BASE, asker.lgCode, data.dir);
});
afterAll(async () => {
  server.close();
  await system.close();
  data.remove();
});

const identityOf = (p: WorldPerson, address = p.address) => ({
  name: p.name,
  birthDate: p.birthDate,
  sex: p.sex,
  address: { ...address, lgCode: address.lgCode ?? p.lgCode },
  myNumber: p.myNumber,
});
const update = (p: WorldPerson, sequence: number, extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  lgCode: p.lgCode,
  residentCode: p.residentCode,
  sequence,
  reason: "relocation",
  reasonDate: "2026-12-01",
  identity: identityOf(p, { ...p.address, line: `${p.address.line}別館`, building: undefined as never }),
  ...extra,
});

describe("identity updates", () => {
  it("are applied in order per person; an early one gets 409 with the expected sequence", async () => {
    const early = await cs.post("/cs/identity-updates", update(local, 2));
    expect(early.status).toBe(409);
    expect(early.body).toEqual(expect.objectContaining({ error: "outOfOrder", expectedSequence: 1 }));
    expect(system.state.history(local.residentCode)).toHaveLength(1); // the world seed only

    const first = update(local, 1);
    const applied = await cs.post("/cs/identity-updates", first);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ id: first.id, applied: true, sequence: 1 });
    expect((await cs.post("/cs/identity-updates", update(local, 2))).status).toBe(200);
    expect((await cs.post("/cs/identity-updates", update(local, 4))).body.expectedSequence).toBe(3);
    expect(system.state.history(local.residentCode).map((e) => e.sequence)).toEqual([0, 1, 2]);
  });

  it("a repeated update id answers the first answer and has no second effect", async () => {
    const next = system.state.expectedSequence(local.lgCode, local.residentCode);
    const u = update(local, next, { reasonDate: "2026-12-02" });
    heard.length = 0;
    const first = await cs.post("/cs/identity-updates", u);
    const length = system.state.history(local.residentCode).length;
    const again = await cs.post("/cs/identity-updates", u);
    expect(again).toEqual(first);
    // Passed on once, with the new address, not for the repeat.
    expect(heard).toEqual([
      {
        residentCode: local.residentCode,
        reason: "relocation",
        addressLine: `${local.address.line}別館`,
        name: { family: local.name.family, given: local.name.given },
        birthDate: local.birthDate,
        sex: local.sex,
      },
    ]);
    expect(system.state.history(local.residentCode)).toHaveLength(length);
    const stats = (await (await fetch(`${BASE}/cs/stats`)).json()) as { identity: { duplicates: number } };
    expect(stats.identity.duplicates).toBeGreaterThanOrEqual(1);
  });

  it("refuses updates without a valid assertion (401) or for another municipality (403)", async () => {
    const unauth = await fetch(`${BASE}/cs/identity-updates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(update(local, 9)),
    });
    expect(unauth.status).toBe(401);
    const other = peopleOf(world, samePref.clone.lgCode)[0]!;
    expect((await cs.post("/cs/identity-updates", update(other, 1))).status).toBe(403);
    const invalid = await cs.post("/cs/identity-updates", {
      ...update(local, 9),
      residentCode: "12345678901",
    });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).not.toContain("12345678901");
  });

  it("keeps removed (消除) identity information, marked", async () => {
    const person = mortal.clone;
    const next = system.state.expectedSequence(person.lgCode, person.residentCode);
    const res = await cs.post(
      "/cs/identity-updates",
      update(person, next, { reason: "death", identity: identityOf(person) }),
    );
    expect(res.body.removed).toBe(true);
    const found = await cs.post("/cs/identity/lookup", {
      by: "residentCode",
      residentCode: person.residentCode,
      includeHistory: true,
    });
    expect(found.body.matches[0]).toMatchObject({ removed: true, reason: "death" });
    expect(found.body.matches[0].history.length).toBeGreaterThanOrEqual(2);
    // A four-item search skips it unless asked.
    const q = {
      by: "fourItems",
      name: `${person.name.family}${person.name.given}`,
      birthDate: person.birthDate,
      sex: person.sex,
      address: person.address.line,
    };
    expect((await cs.post("/cs/identity/lookup", q)).body.matches).toHaveLength(0);
    expect((await cs.post("/cs/identity/lookup", { ...q, includeRemoved: true })).body.matches).toHaveLength(
      1,
    );
  });
});

describe("look-ups", () => {
  const directory = new Directory(world);

  it("by 住民票コード and by 個人番号 (in the body), saying the level", async () => {
    for (const [person, level] of [
      [samePref.clone, "prefecture"],
      [farAway.clone, "nation"],
    ] as const) {
      const byCode = await cs.post("/cs/identity/lookup", {
        by: "residentCode",
        residentCode: person.residentCode,
      });
      expect(byCode.body).toMatchObject({
        level,
        matches: [{ residentCode: person.residentCode, lgCode: person.lgCode }],
      });
      const byNumber = await cs.post("/cs/identity/lookup", { by: "myNumber", myNumber: person.myNumber });
      expect(byNumber.body.matches[0].residentCode).toBe(person.residentCode);
      expect(directory.level(asker.lgCode, person.lgCode)).toBe(level);
    }
    const own = await cs.post("/cs/identity/lookup", {
      by: "residentCode",
      residentCode: local.residentCode,
    });
    expect(own.body.level).toBe("municipality");
    expect(own.body.matches[0].address.line).toContain("別館"); // the applied update, not the seed
    const none = await cs.post("/cs/identity/lookup", { by: "myNumber", myNumber: "983205673214" });
    expect(none.body).toEqual({ level: null, matches: [] });
    // No look-up route takes a number in the URL.
    expect(
      system.routes
        .filter((r) => r.endpoint === "identity-lookup")
        .every((r) => r.method === "POST" && !r.path.includes(":")),
    ).toBe(true);
  });

  it("by the four items: the asking municipality first, then its prefecture, then the nation", async () => {
    const four = (p: WorldPerson, address: string) => ({
      by: "fourItems",
      name: `${p.name.family} ${p.name.given}`,
      kana: `${p.name.familyKana}　${p.name.givenKana}`,
      birthDate: p.birthDate,
      sex: p.sex,
      address,
    });
    // The prefecture alone matches `local` (here) and its twin (elsewhere in the prefecture): here wins.
    const pref = directory.get(asker.lgCode)!.prefecture;
    const both = await cs.post("/cs/identity/lookup", four(local, pref));
    expect(both.body.level).toBe("municipality");
    expect(both.body.matches.map((m: { residentCode: string }) => m.residentCode)).toEqual([
      local.residentCode,
    ]);
    // The twin's own address: found at the prefecture level.
    const t = await cs.post("/cs/identity/lookup", four(twin.clone, twin.clone.address.line));
    expect(t.body).toMatchObject({
      level: "prefecture",
      matches: [{ residentCode: twin.clone.residentCode }],
    });
    // Someone in another prefecture: the nation.
    const far = await cs.post("/cs/identity/lookup", four(farAway.clone, farAway.clone.address.line));
    expect(far.body).toMatchObject({
      level: "nation",
      matches: [{ residentCode: farAway.clone.residentCode }],
    });
    // Written differently (no prefecture, arabic numerals, kana in hiragana): still found.
    const loose = {
      ...four(twin.clone, twin.clone.address.line.replace(pref, "").replace("1丁目", "一丁目")),
      kana: undefined,
      name: `${twin.clone.name.family}　${twin.clone.name.given}`,
    };
    expect((await cs.post("/cs/identity/lookup", loose)).body.matches).toHaveLength(1);
    // A wrong birth date finds nobody.
    expect(
      (await cs.post("/cs/identity/lookup", { ...four(local, pref), birthDate: "1900-01-01" })).body.level,
    ).toBeNull();
    // Neither name nor kana: refused.
    expect(
      (await cs.post("/cs/identity/lookup", { ...four(local, pref), name: undefined, kana: undefined }))
        .status,
    ).toBe(400);
  });
});

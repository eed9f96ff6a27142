import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld } from "../../lib/world.js";
import { benchSearch, SHAPES } from "./search.bench.js";
import { seedRegister } from "./seed.js";
import { type RegisterFixture, registerFixture } from "./test-support.js";

let f: RegisterFixture;
beforeAll(async () => {
  f = await registerFixture();
  await seedRegister(f.db, loadWorld(), f.keys);
});
afterAll(async () => {
  await f.close();
});

describe("benchSearch", () => {
  it("measures every query shape and the 住民票コード look-up, and finds each drawn resident", async () => {
    const result = await benchSearch(f.db, { lgCode: f.municipality.lgCode, actor: f.clerk, samples: 40 });
    const drawn = result.residentCode.n;
    expect(drawn).toBeGreaterThan(0);
    expect(result.fourItem.n).toBe(drawn);
    expect(Object.keys(result.byShape).length).toBe(Math.min(drawn, Object.keys(SHAPES).length));
    expect(result.fourItem.p50).toBeGreaterThan(0);
    expect(result.fourItem.p99).toBeGreaterThanOrEqual(result.fourItem.p50);
    expect(result.misses).toBe(0);
  });
});

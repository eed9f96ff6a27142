import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  isValidLgCode,
  isValidMyNumber,
  isValidResidentCode,
  lgCodeCheckDigit,
  makeLgCode,
  makeMyNumber,
  makeResidentCode,
  myNumberCheckDigit,
  residentCodeCheckDigit,
} from "./identifiers";

// WORLD_FILE lets the same spec run against another world of the same shape (fixtures/README.md).
const worldFile =
  process.env.WORLD_FILE ?? fileURLToPath(new URL("../../fixtures/world.json", import.meta.url));
const municipalitiesCsv = fileURLToPath(new URL("../../fixtures/municipalities.csv", import.meta.url));

interface WorldShape {
  municipalities: { lgCode: string; name: string }[];
  people: { id: string; myNumber: string; residentCode: string; lgCode: string }[];
}

describe("個人番号", () => {
  it("accepts the documented example", () => {
    expect(myNumberCheckDigit("98320567321")).toBe(4);
    expect(isValidMyNumber("983205673214")).toBe(true);
  });

  it("rejects every other final digit", () => {
    for (let d = 0; d <= 9; d++) {
      if (d === 4) continue;
      expect(isValidMyNumber(`98320567321${d}`)).toBe(false);
    }
  });

  it("gives 0 when the remainder is 0 or 1", () => {
    // Σ = 0 → r = 0
    expect(myNumberCheckDigit("00000000000")).toBe(0);
    // P_1 = 5 with Q_1 = 2 → Σ = 10, r = 10 → 1; P_6 = 1 with Q_6 = 7 and P_1 = 2 (Q=2) → 11 → r = 0
    expect(myNumberCheckDigit("00000000005")).toBe(1);
    expect(myNumberCheckDigit("00000100002")).toBe(0);
    // Σ = 12 → r = 1 → 0 (P_1 = 6)
    expect(myNumberCheckDigit("00000000006")).toBe(0);
  });

  it("uses weights n−5 for the 7th to 11th digit from the right", () => {
    // leftmost digit is P_11 with Q_11 = 6: Σ = 6 → 11 − 6 = 5
    expect(myNumberCheckDigit("10000000000")).toBe(5);
    // P_7 with Q_7 = 2: Σ = 2 → 9
    expect(myNumberCheckDigit("00001000000")).toBe(9);
  });

  it("detects a single changed digit and a swap of neighbours", () => {
    expect(isValidMyNumber("983205673224")).toBe(false);
    expect(isValidMyNumber("893205673214")).toBe(false);
  });

  it("rejects wrong length, non-digits and full-width digits", () => {
    expect(isValidMyNumber("98320567321")).toBe(false);
    expect(isValidMyNumber("9832056732140")).toBe(false);
    expect(isValidMyNumber("")).toBe(false);
    expect(isValidMyNumber("9832-0567-3214")).toBe(false);
    expect(isValidMyNumber("９８３２０５６７３２１４")).toBe(false);
    expect(isValidMyNumber("98320567321a")).toBe(false);
    expect(isValidMyNumber(" 983205673214")).toBe(false);
  });

  it("round-trips through makeMyNumber", () => {
    for (const body of ["00000000000", "12345678901", "99999999999", "98320567321"]) {
      const n = makeMyNumber(body);
      expect(n).toHaveLength(12);
      expect(n.startsWith(body)).toBe(true);
      expect(isValidMyNumber(n)).toBe(true);
    }
  });

  it("throws on a malformed body", () => {
    expect(() => myNumberCheckDigit("1234567890")).toThrow(RangeError);
    expect(() => myNumberCheckDigit("1234567890x")).toThrow(RangeError);
    expect(() => makeMyNumber("123456789012")).toThrow(RangeError);
  });
});

describe("住民票コード", () => {
  it("uses the same rule over 10 digits", () => {
    expect(residentCodeCheckDigit("0000000000")).toBe(0);
    // leftmost is P_10 with Q_10 = 5 → 11 − 5 = 6
    expect(residentCodeCheckDigit("1000000000")).toBe(6);
    expect(residentCodeCheckDigit("0000000005")).toBe(1);
    // a leading zero adds nothing to Σ, so both rules agree on the same significant digits
    expect(residentCodeCheckDigit("8320567321")).toBe(myNumberCheckDigit("08320567321"));
  });

  it("validates and generates", () => {
    const code = makeResidentCode("2333324187");
    expect(code).toBe("23333241870");
    expect(isValidResidentCode(code)).toBe(true);
    expect(isValidResidentCode("23333241871")).toBe(false);
    expect(isValidResidentCode("2333324187")).toBe(false);
    expect(isValidResidentCode("233332418700")).toBe(false);
    expect(isValidResidentCode("２３３３３２４１８７０")).toBe(false);
    expect(() => residentCodeCheckDigit("233332418")).toThrow(RangeError);
  });
});

describe("地方公共団体コード", () => {
  it("accepts the documented wards", () => {
    expect(isValidLgCode("131075")).toBe(true); // 墨田区
    expect(isValidLgCode("131067")).toBe(true); // 台東区
    expect(isValidLgCode("131083")).toBe(true); // 江東区
    expect(lgCodeCheckDigit("13107")).toBe(5);
  });

  it("maps remainder 0 to 1 and remainder 1 to 0", () => {
    // Σ = 0 → (11 − 0) mod 10 = 1
    expect(lgCodeCheckDigit("00000")).toBe(1);
    // Σ = 12 (P5 = 6 × 2) → r = 1 → 0
    expect(lgCodeCheckDigit("00006")).toBe(0);
    // Σ = 6 → 5
    expect(lgCodeCheckDigit("10000")).toBe(5);
  });

  it("rejects wrong check digits and malformed values", () => {
    expect(isValidLgCode("131076")).toBe(false);
    expect(isValidLgCode("13107")).toBe(false);
    expect(isValidLgCode("1310755")).toBe(false);
    expect(isValidLgCode("１３１０７５")).toBe(false);
    expect(isValidLgCode("13107a")).toBe(false);
    expect(() => lgCodeCheckDigit("1310")).toThrow(RangeError);
  });

  it("round-trips through makeLgCode", () => {
    expect(makeLgCode("13107")).toBe("131075");
    expect(makeLgCode("14100")).toBe("141003"); // 横浜市
    for (let i = 0; i < 100000; i += 7919) {
      expect(isValidLgCode(makeLgCode(String(i).padStart(5, "0")))).toBe(true);
    }
  });
});

describe("demo world and municipality list", () => {
  const world = JSON.parse(readFileSync(worldFile, "utf8")) as WorldShape;

  it("has people and municipalities to check", () => {
    expect(world.people.length).toBeGreaterThan(0);
    expect(world.municipalities.length).toBeGreaterThan(0);
  });

  it("gives every person a valid 個人番号 and 住民票コード", () => {
    const bad = world.people.filter(
      (p) => !isValidMyNumber(p.myNumber) || !isValidResidentCode(p.residentCode),
    );
    expect(bad.map((p) => p.id)).toEqual([]);
  });

  it("gives every municipality and every person's municipality a valid code", () => {
    expect(world.municipalities.filter((m) => !isValidLgCode(m.lgCode)).map((m) => m.name)).toEqual([]);
    expect(world.people.filter((p) => !isValidLgCode(p.lgCode)).map((p) => p.id)).toEqual([]);
  });

  it("has a valid code on every row of municipalities.csv", () => {
    const lines = readFileSync(municipalitiesCsv, "utf8")
      .split(/\r?\n/)
      .filter((line) => line.trim() !== "");
    expect(lines[0]?.split(",")[0]).toBe("lgCode");
    const codes = lines.slice(1).map((line) => line.split(",")[0] ?? "");
    expect(codes.length).toBeGreaterThan(1000);
    expect(codes.filter((c) => !isValidLgCode(c))).toEqual([]);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

import { parseWithZod } from "@conform-to/zod";
import { describe, expect, it } from "vitest";
import { signingBlock } from "./eligibility.js";
import { isNationalHoliday } from "./holidays.server.js";
import { municipalityOfAddress, resolveMunicipality } from "./municipalities.js";
import { type ApplicationKind, applicationFormSchema, type HostedMunicipality } from "./schema.js";

const hosted: HostedMunicipality[] = [
  {
    lgCode: "131067",
    towns: [
      { name: "上野", chomeMax: 7 },
      { name: "上野公園", chomeMax: 0 },
    ],
  },
  { lgCode: "131075", towns: [{ name: "吾妻橋", chomeMax: 3 }] },
];
const today = "2026-11-26";

function check(fields: Record<string, string>, kind: ApplicationKind = "moveOut") {
  const form = new FormData();
  const base: Record<string, string> = {
    plannedMoveDate: "2026-12-10",
    destination: "東京都台東区",
    town: "上野",
    chome: "3",
    block: "5",
    filerRelationship: "head",
    phone: "03-1234-5678",
    email: "taro@example.jp",
    plannedVisitDate: "2026-12-11",
  };
  for (const [k, v] of Object.entries({ ...base, ...fields })) if (v !== "") form.set(k, v);
  const schema = applicationFormSchema({
    kind,
    today,
    originLgCode: "131075",
    isHoliday: isNationalHoliday,
    hosted,
  });
  return parseWithZod(form, { schema });
}

function errorsOf(
  fields: Record<string, string>,
  kind: ApplicationKind = "moveOut",
): Record<string, string[]> {
  const s = check(fields, kind);
  return (s.status === "error" ? s.error : {}) as Record<string, string[]>;
}

describe("the application form's rules (one schema for browser and server)", () => {
  it("accepts a complete 転出届 + 転入予約 and resolves the destination to its code", () => {
    const s = check({});
    expect(s.status).toBe("success");
    if (s.status === "success") expect(s.value.destinationLgCode).toBe("131067");
  });

  it("opens 30 days before the move and closes 10 days after it", () => {
    expect(
      errorsOf({ plannedMoveDate: "2026-12-27", plannedVisitDate: "2026-12-28" }).plannedMoveDate,
    ).toEqual(["moveDate.tooEarly:2026-11-27"]);
    expect(check({ plannedMoveDate: "2026-12-26", plannedVisitDate: "2026-12-28" }).status).toBe("success");
    expect(errorsOf({ plannedMoveDate: "2026-11-15" }).plannedMoveDate).toEqual(["moveDate.tooLate"]);
  });

  it("knows every municipality, asks for the prefecture when a name exists twice, refuses the filer's own", () => {
    expect(errorsOf({ destination: "台東区" }).destination).toBeUndefined();
    expect(errorsOf({ destination: "府中市" }).destination).toEqual(["destination.ambiguous"]);
    expect(errorsOf({ destination: "東京都府中市", town: "どこか" }).destination).toBeUndefined();
    expect(errorsOf({ destination: "架空市" }).destination).toEqual(["destination.notFound"]);
    expect(errorsOf({ destination: "東京都墨田区" }).destination).toEqual(["destination.sameAsOrigin"]);
    expect(resolveMunicipality("131067")).toMatchObject({ kind: "found" });
  });

  it("checks towns and 丁目 in hosted municipalities only", () => {
    expect(errorsOf({ town: "銀座" }).town).toEqual(["town.notInMunicipality"]);
    expect(errorsOf({ chome: "8" }).chome).toEqual(["chome.tooLarge:7"]);
    expect(errorsOf({ chome: "" }).chome).toEqual(["chome.required"]);
    expect(errorsOf({ town: "上野公園", chome: "1" }).chome).toEqual(["chome.none"]);
    expect(check({ town: "上野公園", chome: "" }).status).toBe("success");
    // Not hosted (江東区 is known only to the national server stand-in): any town.
    expect(check({ destination: "東京都江東区", town: "どこでも町", chome: "12" }).status).toBe("success");
    // 転居予約: the filer's own (hosted) municipality.
    expect(errorsOf({ destination: "", town: "上野" }, "relocation").town).toEqual([
      "town.notInMunicipality",
    ]);
    expect(check({ destination: "", town: "吾妻橋", chome: "2" }, "relocation").status).toBe("success");
  });

  it("counter days only: no weekend, no national holiday, 年末年始 closed, not before the move, within 14 days", () => {
    expect(errorsOf({ plannedVisitDate: "2026-12-12" }).plannedVisitDate).toEqual(["visit.weekend"]);
    expect(errorsOf({ plannedVisitDate: "2026-12-09" }).plannedVisitDate).toEqual(["visit.beforeMove"]);
    expect(errorsOf({ plannedVisitDate: "2026-12-25" }).plannedVisitDate).toEqual([
      "visit.tooLate:2026-12-24",
    ]);
    expect(
      errorsOf({ plannedMoveDate: "2026-12-26", plannedVisitDate: "2026-12-29" }).plannedVisitDate,
    ).toEqual(["visit.yearEnd"]);
    expect(
      errorsOf({ plannedMoveDate: "2026-11-20", plannedVisitDate: "2026-11-23" }).plannedVisitDate,
    ).toEqual(["visit.notFuture"]);
    // 2027-01-11 is 成人の日 (from the holiday dataset).
    expect(
      errorsOf({ plannedMoveDate: "2026-12-28", plannedVisitDate: "2027-01-11" }).plannedVisitDate,
    ).toEqual(["visit.holiday"]);
  });

  it("one new household head among the movers, or none when joining an existing household", () => {
    expect(errorsOf({ filerRelationship: "wife" }).householdHead).toEqual(["household.oneHead"]);
    const twoHeads = {
      "members[0].familyName": "墨田",
      "members[0].givenName": "花子",
      "members[0].familyKana": "スミダ",
      "members[0].givenKana": "ハナコ",
      "members[0].birthDate": "1987-09-03",
      "members[0].relationship": "head",
    };
    expect(errorsOf(twoHeads).householdHead).toEqual(["household.oneHead"]);
    expect(check({ ...twoHeads, "members[0].relationship": "wife" }).status).toBe("success");
    expect(errorsOf({ joinExisting: "on" })).toMatchObject({
      householdHead: ["household.noHeadWhenJoining"],
      existingHeadFamilyName: ["required"],
    });
    expect(
      check({
        joinExisting: "on",
        filerRelationship: "child",
        existingHeadFamilyName: "上野",
        existingHeadGivenName: "一",
      }).status,
    ).toBe("success");
  });

  it("field-level messages for names, kana, dates, phone and e-mail", () => {
    const e = errorsOf({
      "members[0].familyName": "墨田",
      "members[0].givenName": "",
      "members[0].familyKana": "すみだ",
      "members[0].givenKana": "ハナコ",
      "members[0].birthDate": "2027-01-01",
      "members[0].relationship": "wife",
      phone: "12345",
      email: "not-an-address",
      block: "abc",
    });
    expect(e).toMatchObject({
      "members[0].givenName": ["required"],
      "members[0].familyKana": ["kana"],
      "members[0].birthDate": ["birthDate.future"],
      phone: ["phone"],
      email: ["email"],
      block: ["number"],
    });
  });
});

describe("who can sign online", () => {
  it("needs a valid signing certificate and 15 years", () => {
    const adult = {
      birthdate: "1985-04-12",
      sign_cert_status: "valid" as const,
      sign_cert_expires_on: "2030-04-12",
    };
    expect(signingBlock(adult, today)).toBeUndefined();
    expect(signingBlock({ ...adult, sign_cert_expires_on: "2025-11-30" }, today)).toBe("certExpired");
    expect(signingBlock({ ...adult, sign_cert_status: "expired" }, today)).toBe("certExpired");
    expect(signingBlock({ ...adult, sign_cert_status: "revoked" }, today)).toBe("certRevoked");
    expect(signingBlock({ ...adult, sign_cert_status: "none" }, today)).toBe("noSignCert");
    expect(signingBlock({ birthdate: "2015-06-20", sign_cert_status: "none" }, today)).toBe("under15");
    expect(signingBlock({ birthdate: "2011-11-27", sign_cert_status: "valid" }, today)).toBe("under15");
    expect(signingBlock({ birthdate: "2011-11-26", sign_cert_status: "valid" }, today)).toBeUndefined();
  });

  it("finds the filer's municipality in the card's address line (a ward over its city)", () => {
    expect(municipalityOfAddress("東京都墨田区吾妻橋一丁目23番1号")?.lgCode).toBe("131075");
    expect(municipalityOfAddress("神奈川県横浜市中区山下町1番地")?.name).toBe("横浜市中区");
    expect(municipalityOfAddress("どこでもない")).toBeUndefined();
  });
});

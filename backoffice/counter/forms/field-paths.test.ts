import { describe, expect, it } from "vitest";
import { FORM_LEVEL, registerErrorsToForm, toConformName } from "./field-paths.js";

const A = "0b6f7f4e-1c1a-4c55-9d0e-1b6c4c1f0a01";
const B = "0b6f7f4e-1c1a-4c55-9d0e-1b6c4c1f0a02";

describe("register field paths → form fields", () => {
  it("turns list indexes into Conform names", () => {
    expect(toConformName("persons.0.name.family")).toBe("persons[0].name.family");
    expect(toConformName("address.chome")).toBe("address.chome");
    expect(toConformName("persons")).toBe("persons");
  });

  it("keeps a newcomer's item on its own field (転入・出生)", () => {
    expect(
      registerErrorsToForm("moveIn", {
        "persons.1.residentCode": "この住民票コードの方はすでに住民記録があります",
        "certificate.fromLgCode": "この地方公共団体コードの市区町村はありません",
        "address.chome": "吾妻橋の丁目は 1〜3 です",
      }),
    ).toEqual({
      "persons[1].residentCode": ["この住民票コードの方はすでに住民記録があります"],
      "certificate.fromLgCode": ["この地方公共団体コードの市区町村はありません"],
      "address.chome": ["吾妻橋の丁目は 1〜3 です"],
    });
    expect(
      registerErrorsToForm("birth", {
        "child.birthDate": "x",
        "household.householdId": "y",
        "child.0.myNumber": "この個人番号の方はすでに住民記録があります",
      }),
    ).toEqual({
      "child.birthDate": ["x"],
      "household.memberCode": ["y"],
      "child.myNumber": ["この個人番号の方はすでに住民記録があります"],
    });
  });

  it("puts a record id's error on the field that named the resident by 住民票コード", () => {
    expect(
      registerErrorsToForm("death", { residentId: "a", "newHead.residentId": "b", diedOn: "c" }),
    ).toEqual({
      residentCode: ["a"],
      newHeadCode: ["b"],
      diedOn: ["c"],
    });
    expect(registerErrorsToForm("exOfficioRemoval", { "residentIds.1": "a", residentIds: "b" })).toEqual({
      "residentCodes[1]": ["a"],
      residentCodes: ["b"],
    });
    expect(registerErrorsToForm("changeCancellation", { changeId: "a" })).toEqual({ residentCode: ["a"] });
  });

  it("maps 世帯変更's id-keyed 続柄 to the row of that resident", () => {
    const refs = {
      residents: {
        [A]: "relationships[1].residentCode",
        [B]: "remainingRelationships[0].residentCode",
      },
    };
    expect(
      registerErrorsToForm(
        "householdChange",
        {
          [`change.relationships.${A}`]: "新しい世帯主との続柄を指定してください",
          [`change.remaining.relationships.${B}`]: "この世帯変更の対象の方ではありません",
          "change.memberIds.0": "m0",
          "change.memberIds.2": "m2",
          "change.householdId": "h",
          "change.intoHouseholdId": "i",
          change: "変更する内容がありません",
        },
        refs,
      ),
    ).toEqual({
      "relationships[1].relationship": ["新しい世帯主との続柄を指定してください"],
      "remainingRelationships[0].relationship": ["この世帯変更の対象の方ではありません"],
      newHeadCode: ["m0"],
      "relationships[1].residentCode": ["m2"],
      householdCode: ["h"],
      intoCode: ["i"],
      [FORM_LEVEL]: ["変更する内容がありません"],
    });
  });

  it("shows what no field holds above the form, never dropping it", () => {
    expect(
      registerErrorsToForm("birth", {
        household: "世帯主のいない世帯ができてしまいます",
        requestKey: "要求キー",
      }),
    ).toEqual({ [FORM_LEVEL]: ["世帯主のいない世帯ができてしまいます", "要求キー"] });
    expect(
      registerErrorsToForm("exOfficioCorrection", {
        corrections: "同じです",
        "corrections.name.family": "氏",
      }),
    ).toEqual({
      [FORM_LEVEL]: ["同じです"],
      "corrections.name.family": ["氏"],
    });
  });
});

import { parseWithZod } from "@conform-to/zod";
import { describe, expect, it } from "vitest";
import { CHANGE_FORM_KINDS, CHANGE_FORMS, type ChangeFormKind, formBySlug } from "./kinds.js";
import { correctionsOf, type FormContext, formSchema } from "./schema.js";
import { flat, formData, myNumber, personFields, residentCode } from "./test-support.js";

const ctx: FormContext = {
  today: "2026-11-26",
  towns: [
    { name: "吾妻橋", chomeMax: 3 },
    { name: "上野公園", chomeMax: 0 },
  ],
};

// biome-ignore lint/suspicious/noExplicitAny: each test reads the value of the form it parsed
type Parsed = { status: "success"; value: any } | { status: "error" | undefined; error: unknown };

function parse(kind: ChangeFormKind, value: Record<string, unknown>): Parsed {
  const r = parseWithZod(formData(flat({ requestKey: "counter:test", ...value })), {
    schema: formSchema(kind, ctx),
  }) as unknown as { status: "success" | "error" | undefined; value?: unknown; error?: unknown };
  return r.status === "success"
    ? { status: "success", value: r.value }
    : { status: r.status, error: r.error };
}

function errorsOf(r: Parsed): Record<string, string[]> {
  expect(r.status).toBe("error");
  return (r.status === "success" ? {} : (r.error ?? {})) as Record<string, string[]>;
}

const address = { town: "吾妻橋", chome: "1", block: "10", lot: "2" };

describe("counter change forms: kinds", () => {
  it("has a page per kind, reachable by slug, with the approval rule of the register", () => {
    expect(CHANGE_FORM_KINDS).toHaveLength(10);
    for (const kind of CHANGE_FORM_KINDS) expect(formBySlug(CHANGE_FORMS[kind].slug)?.kind).toBe(kind);
    expect(CHANGE_FORM_KINDS.filter((k) => CHANGE_FORMS[k].needsApproval)).toEqual([
      "exOfficioEntry",
      "exOfficioRemoval",
      "exOfficioCorrection",
      "changeCancellation",
    ]);
  });
});

describe("出生届 schema", () => {
  const good = {
    notifiedOn: "2026-11-26",
    child: personFields({ birthDate: "2026-11-20", relationship: "子" }),
    household: { kind: "join", memberCode: residentCode() },
  };

  it("accepts a child joining a parent's household", () => {
    const r = parse("birth", good);
    expect(r.status).toBe("success");
    if (r.status === "success") expect(r.value.child.nationality).toBe("JP");
  });

  it("refuses a birth in the future, kana in hiragana, no 本籍 and a bad code, field by field", () => {
    const e = errorsOf(
      parse("birth", {
        ...good,
        child: personFields({
          birthDate: "2026-12-01",
          relationship: "子",
          name: { family: "試験", given: "花", familyKana: "しけん", givenKana: "ハナ" },
          honseki: undefined,
        }),
        household: { kind: "join", memberCode: "12345678901" },
      }),
    );
    expect(e["child.birthDate"]).toEqual(["生年月日に未来の日付は入力できません"]);
    expect(e["child.name.familyKana"]?.[0]).toMatch(/全角カタカナ/);
    expect(e["child.honseki.address"]?.[0]).toMatch(/本籍/);
    expect(e["household.memberCode"]?.[0]).toMatch(/検査数字/);
  });

  it("needs an address for a new household and the child as its head", () => {
    const e = errorsOf(parse("birth", { ...good, household: { kind: "new" } }));
    expect(e["address.town"]?.[0]).toMatch(/住所/);
    expect(e["child.relationship"]?.[0]).toMatch(/世帯主/);
  });

  it("checks the town and 丁目 against the municipality", () => {
    const e = errorsOf(
      parse("birth", {
        ...good,
        child: personFields({ birthDate: "2026-11-20" }),
        household: { kind: "new" },
        address: { town: "吾妻橋", chome: "9", block: "1" },
      }),
    );
    expect(e["address.chome"]).toEqual(["吾妻橋の丁目は 1〜3 です"]);
    const e2 = errorsOf(
      parse("birth", {
        ...good,
        child: personFields({ birthDate: "2026-11-20" }),
        household: { kind: "new" },
        address: { town: "銀座", block: "x" },
      }),
    );
    expect(e2["address.town"]?.[0]).toMatch(/町名はありません/);
    expect(e2["address.block"]?.[0]).toMatch(/半角数字/);
  });

  it("asks a foreign child for the items of the category", () => {
    const e = errorsOf(
      parse("birth", {
        ...good,
        child: personFields({
          birthDate: "2026-11-20",
          relationship: "子",
          nationality: "VN",
          honseki: undefined,
          foreigner: { category: "中長期在留者" },
        }),
      }),
    );
    expect(e["foreigner.status"]).toBeUndefined();
    expect(e["child.foreigner.status"]?.[0]).toMatch(/在留資格/);
    expect(e["child.foreigner.residenceCardNumber"]?.[0]).toMatch(/在留カード/);
    const ok = parse("birth", {
      ...good,
      child: personFields({
        birthDate: "2026-11-20",
        relationship: "子",
        nationality: "vn",
        honseki: undefined,
        foreigner: { category: "出生による経過滞在者", becameResidentOn: "2026-11-20" },
      }),
    });
    expect(ok.status).toBe("success");
    if (ok.status === "success") expect(ok.value.child.nationality).toBe("VN");
  });
});

describe("死亡届 schema", () => {
  it("accepts a death with the notification on or after it", () => {
    expect(
      parse("death", { residentCode: residentCode(), diedOn: "2026-11-01", notifiedOn: "2026-11-26" }).status,
    ).toBe("success");
  });
  it("refuses a notification before the death, a future death and the deceased as the new head", () => {
    const code = residentCode();
    const e = errorsOf(
      parse("death", {
        residentCode: code,
        diedOn: "2026-11-20",
        notifiedOn: "2026-11-19",
        newHeadCode: code,
      }),
    );
    expect(e.notifiedOn?.[0]).toMatch(/死亡年月日より前/);
    expect(e.newHeadCode?.[0]).toMatch(/亡くなった方/);
    const e2 = errorsOf(
      parse("death", { residentCode: code, diedOn: "2026-11-27", notifiedOn: "2026-11-26" }),
    );
    expect(e2.diedOn?.[0]).toMatch(/未来/);
  });
});

describe("転入届 schema", () => {
  const good = {
    movedInOn: "2026-11-20",
    notifiedOn: "2026-11-26",
    certificate: {
      fromLgCode: "131083",
      fromAddress: "東京都江東区亀戸一丁目1番1号",
      plannedMoveOutDate: "2026-11-20",
    },
    household: { kind: "new" },
    address,
    persons: [personFields({ residentCode: residentCode(), myNumber: myNumber() })],
  };
  it("accepts a household moving in with its 住民票コード and 個人番号", () => {
    const r = parse("moveIn", good);
    expect(r.status).toBe("success");
    if (r.status === "success")
      expect(r.value.address).toEqual({ town: "吾妻橋", chome: 1, block: 10, lot: 2 });
  });
  it("requires the codes, a valid 地方公共団体コード and one head", () => {
    const e = errorsOf(
      parse("moveIn", {
        ...good,
        certificate: { ...good.certificate, fromLgCode: "131084" },
        persons: [personFields({ relationship: "妻" })],
      }),
    );
    expect(e["certificate.fromLgCode"]?.[0]).toMatch(/検査数字/);
    expect(e["persons[0].residentCode"]?.[0]).toMatch(/住民票コード/);
    expect(e["persons[0].myNumber"]).toBeDefined();
    // Cross-field rules run once the fields themselves are right (zod's refinements).
    const e2 = errorsOf(
      parse("moveIn", {
        ...good,
        persons: [personFields({ relationship: "妻", residentCode: residentCode(), myNumber: myNumber() })],
      }),
    );
    expect(e2.persons?.[0]).toMatch(/世帯主を一人/);
  });
  it("refuses a notification before moving in", () => {
    const e = errorsOf(parse("moveIn", { ...good, notifiedOn: "2026-11-19" }));
    expect(e.notifiedOn?.[0]).toMatch(/転入した日以後/);
  });
  it("ignores a blank address when joining a household", () => {
    const r = parse("moveIn", {
      ...good,
      household: { kind: "join", memberCode: residentCode() },
      address: { town: "", block: "" },
      persons: [personFields({ relationship: "子", residentCode: residentCode(), myNumber: myNumber() })],
    });
    expect(r.status).toBe("success");
  });
});

describe("世帯変更届 schema", () => {
  const base = { effectiveDate: "2026-11-20", notifiedOn: "2026-11-26", householdCode: residentCode() };
  it("accepts a change of head with the others' 続柄", () => {
    const r = parse("householdChange", {
      ...base,
      type: "changeHead",
      newHeadCode: residentCode(),
      relationships: [{ residentCode: residentCode(), relationship: "母" }],
    });
    expect(r.status).toBe("success");
  });
  it("needs the new head, refuses 世帯主 as a 続柄 and a resident twice", () => {
    const head = residentCode();
    const e = errorsOf(
      parse("householdChange", {
        ...base,
        type: "split",
        relationships: [
          { residentCode: head, relationship: "世帯主" },
          { residentCode: head, relationship: "子" },
        ],
      }),
    );
    expect(e.newHeadCode?.[0]).toMatch(/新しい世帯主/);
    expect(e["relationships[0].relationship"]?.[0]).toMatch(/新しい世帯主/);
    expect(e["relationships[1].residentCode"]?.[0]).toMatch(/二度/);
  });
  it("needs the household to merge into", () => {
    const e = errorsOf(parse("householdChange", { ...base, type: "merge" }));
    expect(e.intoCode?.[0]).toMatch(/合併先/);
    expect(errorsOf(parse("householdChange", { ...base, type: "x" })).type?.[0]).toMatch(/種類/);
  });
});

describe("国外転出・国外からの転入 schemas", () => {
  it("国外転出: one or more distinct residents and a destination", () => {
    const code = residentCode();
    expect(
      parse("emigration", {
        residentCodes: [code],
        departedOn: "2026-12-01",
        notifiedOn: "2026-11-26",
        destinationAddress: "アメリカ合衆国 シアトル市",
      }).status,
    ).toBe("success");
    const e = errorsOf(
      parse("emigration", {
        residentCodes: [code, code],
        departedOn: "2026-12-01",
        notifiedOn: "2026-11-26",
      }),
    );
    expect(e.residentCodes?.[0]).toMatch(/二度/);
    expect(e.destinationAddress?.[0]).toMatch(/転出先/);
  });
  it("国外からの転入: codes are optional, the previous address abroad is not", () => {
    const good = {
      movedInOn: "2026-11-20",
      notifiedOn: "2026-11-26",
      previousAddress: "アメリカ合衆国 シアトル市",
      household: { kind: "new" },
      address,
      persons: [personFields()],
    };
    expect(parse("immigration", good).status).toBe("success");
    expect(errorsOf(parse("immigration", { ...good, previousAddress: " " })).previousAddress).toBeDefined();
  });
});

describe("職権 schemas", () => {
  it("職権記載 needs a reason", () => {
    const e = errorsOf(
      parse("exOfficioEntry", {
        effectiveDate: "2026-11-01",
        household: { kind: "new" },
        address,
        persons: [personFields()],
      }),
    );
    expect(e.reason?.[0]).toMatch(/理由/);
  });
  it("職権消除 needs the residents, the date and a reason", () => {
    const e = errorsOf(parse("exOfficioRemoval", {}));
    expect(Object.keys(e)).toEqual(expect.arrayContaining(["residentCodes", "effectiveDate", "reason"]));
  });
  it("職権修正: only the items filled in are corrected; a name as a whole", () => {
    const r = parse("exOfficioCorrection", {
      residentCode: residentCode(),
      reason: "戸籍照会により誤記を確認",
      corrections: {
        name: { family: "髙橋", given: "太郎", familyKana: "タカハシ", givenKana: "タロウ" },
        sex: "",
      },
    });
    expect(r.status).toBe("success");
    if (r.status === "success") expect(Object.keys(correctionsOf(r.value.corrections))).toEqual(["name"]);
    const e = errorsOf(
      parse("exOfficioCorrection", {
        residentCode: residentCode(),
        reason: "誤記",
        corrections: { name: { family: "髙橋" } },
      }),
    );
    expect(e["corrections.name.given"]?.[0]).toMatch(/名も入力/);
    const none = errorsOf(parse("exOfficioCorrection", { residentCode: residentCode(), reason: "誤記" }));
    expect(none.corrections?.[0]).toMatch(/1 つ以上/);
  });
  it("異動取消 needs the resident and a reason", () => {
    const e = errorsOf(parse("changeCancellation", { residentCode: "1" }));
    expect(e.residentCode?.[0]).toMatch(/11 桁/);
    expect(e.reason?.[0]).toMatch(/理由/);
  });
});

describe("every form", () => {
  it("refuses a missing request key", () => {
    for (const kind of CHANGE_FORM_KINDS) {
      const r = parse(kind, { requestKey: "" });
      expect(errorsOf(r).requestKey?.[0], kind).toMatch(/要求キー/);
    }
  });
});

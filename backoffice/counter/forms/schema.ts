import { z } from "zod";
import { isValidLgCode, isValidMyNumber, isValidResidentCode } from "../../register/identifiers.js";
import { FOREIGNER_CATEGORIES } from "../../register/record.js";
import { daysBetween, type IsoDate, isIsoDate } from "../../register/time-rules.js";
import { type ChangeFormKind, HOUSEHOLD_CHANGE_TYPES } from "./kinds.js";

/**
 * The one schema of each counter change form, used by Conform in the browser (as you type) and
 * by the action on the server (before the register checks it again, authoritatively). Field
 * names follow the register command's input paths wherever the form holds the same thing
 * (`persons[0].name.family` ↔ `persons.0.name.family`), so the register's field errors land on
 * the same fields (field-paths.ts). Residents are picked by 住民票コード (`residentCode`,
 * `relationships[i].residentCode`…), which the server resolves to record ids. Messages are
 * Japanese sentences; none contains a value.
 *
 * Pure: `today` and the municipality's towns are passed in (the loader gives them to the page).
 */

export interface FormContext {
  today: IsoDate;
  towns: readonly { name: string; chomeMax: number }[];
}

const MAX_TEXT = 100;
const KANA = /^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$/u;
const CARD_NUMBER = /^[A-Z]{2}\d{8}[A-Z]{2}$/;
export const MAX_PERSONS = 10;
export const MAX_ROWS = 10;

const text = (what: string, max = MAX_TEXT) =>
  z
    .string({ required_error: `${what}を入力してください`, invalid_type_error: `${what}を入力してください` })
    .trim()
    .min(1, `${what}を入力してください`)
    .max(max, `${what}は ${max} 文字以内で入力してください`);

const optionalText = (what: string, max = MAX_TEXT) =>
  z.string().trim().max(max, `${what}は ${max} 文字以内で入力してください`).optional();

/** Blank when every field in it is blank (Conform turns "" into undefined). */
function blank(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === "" ||
    (typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every(blank))
  );
}

/** An optional group of fields (an address…): absent when all its fields are left blank. */
export const group = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (blank(v) ? undefined : v), schema.optional());

const kana = (what: string) => text(what).regex(KANA, `${what}は全角カタカナで入力してください`);

/** A calendar date (the browser's date input sends YYYY-MM-DD); `notAfter` is usually today. */
export const dateField = (what: string, rule: { notAfter?: IsoDate; notAfterMessage?: string } = {}) =>
  z
    .string({ required_error: `${what}を入力してください` })
    .refine(isIsoDate, `${what}は正しい日付（例: 2026-11-26）で入力してください`)
    .refine((d) => !isIsoDate(d) || d >= "1868-01-25", `${what}が古すぎます（明治より前の日付は扱えません）`)
    .refine(
      (d) => !rule.notAfter || !isIsoDate(d) || daysBetween(rule.notAfter, d) <= 0,
      rule.notAfterMessage ?? `${what}に未来の日付は入力できません`,
    );

export const residentCodeField = (what = "住民票コード") =>
  z
    .string({ required_error: `${what}を入力してください` })
    .trim()
    .refine(isValidResidentCode, `${what}は 11 桁の半角数字で、検査数字が正しいものを入力してください`);

const myNumberField = z
  .string()
  .trim()
  .refine(isValidMyNumber, "個人番号は 12 桁の半角数字で、検査数字が正しいものを入力してください");

const int = (what: string, min: number, max: number) =>
  z
    .number({
      required_error: `${what}を入力してください`,
      invalid_type_error: `${what}は半角数字で入力してください`,
    })
    .int(`${what}は整数で入力してください`)
    .min(min, `${what}は ${min}〜${max} で入力してください`)
    .max(max, `${what}は ${min}〜${max} で入力してください`);

/** 住所 in the municipality: a town it has, a 丁目 that town has (0 when it has none), 番 and 号. */
export function addressSchema(ctx: FormContext) {
  return z
    .object({
      town: text("町名").refine(
        (name) => ctx.towns.some((t) => t.name === name),
        "この市区町村にこの町名はありません",
      ),
      chome: int("丁目", 0, 99).optional(),
      block: int("番", 1, 9999),
      lot: int("号", 1, 9999).optional(),
      building: optionalText("方書（建物名・部屋番号）"),
    })
    .superRefine((a, c) => {
      const town = ctx.towns.find((t) => t.name === a.town);
      if (!town) return;
      const chome = a.chome ?? 0;
      if (town.chomeMax === 0 && chome !== 0) {
        c.addIssue({
          code: "custom",
          path: ["chome"],
          message: `${town.name}には丁目がありません（空欄にしてください）`,
        });
      } else if (town.chomeMax > 0 && (chome < 1 || chome > town.chomeMax)) {
        c.addIssue({
          code: "custom",
          path: ["chome"],
          message: `${town.name}の丁目は 1〜${town.chomeMax} です`,
        });
      }
    });
}

const honsekiSchema = z
  .object({ address: optionalText("本籍", 200), headOfFamily: optionalText("筆頭者") })
  .optional();

const foreignerSchema = z
  .object({
    category: z
      .enum(FOREIGNER_CATEGORIES, { errorMap: () => ({ message: "外国人住民の区分を選んでください" }) })
      .optional(),
    becameResidentOn: z.string().optional(),
    status: optionalText("在留資格"),
    periodOfStay: optionalText("在留期間"),
    periodExpiresOn: z.string().optional(),
    residenceCardNumber: optionalText("在留カードの番号", 12),
    specialPermanentResidentCertificateNumber: optionalText("特別永住者証明書の番号", 12),
    alias: optionalText("通称"),
  })
  .optional();

export type PersonFormValue = z.infer<ReturnType<typeof personSchema>>;

/**
 * A person entering the register: name, birth date, sex, 続柄, and either 本籍・筆頭者 (Japanese
 * nationals) or the 第30条の45 items of the foreign resident's category.
 */
export function personSchema(ctx: FormContext, opts: { codes: "required" | "optional" | "none" }) {
  const code = residentCodeField();
  return z
    .object({
      name: z.object({
        family: text("氏"),
        given: text("名"),
        familyKana: kana("氏のフリガナ"),
        givenKana: kana("名のフリガナ"),
      }),
      birthDate: dateField("生年月日", {
        notAfter: ctx.today,
        notAfterMessage: "生年月日に未来の日付は入力できません",
      }),
      sex: z.enum(["male", "female"], { errorMap: () => ({ message: "性別を選んでください" }) }),
      nationality: z
        .string()
        .trim()
        .toUpperCase()
        .regex(/^[A-Z]{2}$/, "国籍・地域は英大文字 2 文字のコード（日本は JP）で入力してください")
        .default("JP"),
      relationship: text("続柄", 20),
      residentCode:
        opts.codes === "required"
          ? code
          : opts.codes === "optional"
            ? code.optional()
            : z.undefined().optional(),
      myNumber:
        opts.codes === "required"
          ? myNumberField
          : opts.codes === "optional"
            ? myNumberField.optional()
            : myNumberField.optional(),
      honseki: honsekiSchema,
      foreigner: foreignerSchema,
    })
    .superRefine((p, c) => {
      if (p.nationality === "JP") {
        if (!p.honseki?.address)
          c.addIssue({
            code: "custom",
            path: ["honseki", "address"],
            message: "日本国籍の方は本籍を入力してください",
          });
        if (!p.honseki?.headOfFamily)
          c.addIssue({
            code: "custom",
            path: ["honseki", "headOfFamily"],
            message: "日本国籍の方は筆頭者を入力してください",
          });
        return;
      }
      const f = p.foreigner;
      if (!f?.category) {
        c.addIssue({
          code: "custom",
          path: ["foreigner", "category"],
          message: "外国人住民の区分を選んでください",
        });
        return;
      }
      const date = (key: "becameResidentOn" | "periodExpiresOn", what: string) => {
        const v = f[key];
        if (!v)
          c.addIssue({ code: "custom", path: ["foreigner", key], message: `${what}を入力してください` });
        else if (!isIsoDate(v))
          c.addIssue({
            code: "custom",
            path: ["foreigner", key],
            message: `${what}は正しい日付で入力してください`,
          });
      };
      date("becameResidentOn", "外国人住民となった年月日");
      const need = (key: "status" | "periodOfStay", what: string) => {
        if (!f[key])
          c.addIssue({
            code: "custom",
            path: ["foreigner", key],
            message: `${f.category}は${what}を入力してください`,
          });
      };
      const card = (
        key: "residenceCardNumber" | "specialPermanentResidentCertificateNumber",
        what: string,
      ) => {
        const v = f[key];
        if (!v)
          c.addIssue({
            code: "custom",
            path: ["foreigner", key],
            message: `${f.category}は${what}を入力してください`,
          });
        else if (!CARD_NUMBER.test(v))
          c.addIssue({
            code: "custom",
            path: ["foreigner", key],
            message: `${what}は英大文字 2 文字・数字 8 桁・英大文字 2 文字の 12 文字です`,
          });
      };
      if (f.category === "中長期在留者") {
        need("status", "在留資格");
        need("periodOfStay", "在留期間");
        date("periodExpiresOn", "在留期間の満了の日");
        card("residenceCardNumber", "在留カードの番号");
      } else if (f.category === "特別永住者") {
        card("specialPermanentResidentCertificateNumber", "特別永住者証明書の番号");
      } else if (f.category === "一時庇護許可者" || f.category === "仮滞在許可者") {
        date("periodExpiresOn", "期間の末日");
      }
    });
}

/** Where newcomers go: a new household at `address`, or the household of a resident (by code). */
function householdTarget() {
  return z.object({
    kind: z.enum(["new", "join"], {
      errorMap: () => ({ message: "新しい世帯か、既存の世帯への加入かを選んでください" }),
    }),
    memberCode: residentCodeField("加入する世帯の方の住民票コード").optional(),
  });
}

function requireAddressForNewHousehold(
  v: { household: { kind: "new" | "join"; memberCode?: string | undefined }; address?: unknown },
  c: z.RefinementCtx,
): void {
  if (v.household.kind === "new" && !v.address) {
    c.addIssue({ code: "custom", path: ["address", "town"], message: "新しい世帯の住所を入力してください" });
  }
  if (v.household.kind === "join" && !v.household.memberCode) {
    c.addIssue({
      code: "custom",
      path: ["household", "memberCode"],
      message: "加入する世帯の方の住民票コードを入力してください",
    });
  }
}

function headCount(
  persons: readonly { relationship: string }[],
  household: { kind: string },
  c: z.RefinementCtx,
): void {
  const heads = persons.filter((p) => p.relationship === "世帯主").length;
  if (household.kind === "new" && heads !== 1)
    c.addIssue({
      code: "custom",
      path: ["persons"],
      message: "新しい世帯には世帯主を一人（続柄「世帯主」）指定してください",
    });
  if (household.kind === "join" && heads > 0)
    c.addIssue({
      code: "custom",
      path: ["persons"],
      message: "既存の世帯に加わる方を世帯主にはできません（世帯主の変更は世帯変更届で行ってください）",
    });
}

const requestKey = z
  .string({ required_error: "要求キーがありません。画面を開き直してください" })
  .regex(/^[\x21-\x7e]{1,200}$/, "要求キーが正しくありません。画面を開き直してください");

const relationshipRow = z.object({ residentCode: residentCodeField(), relationship: text("続柄", 20) });
const rows = <T extends z.ZodTypeAny>(row: T) =>
  z.array(row).max(MAX_ROWS, `一度に指定できるのは ${MAX_ROWS} 人までです`).default([]);

export function moveInSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      movedInOn: dateField("転入した年月日", {
        notAfter: ctx.today,
        notAfterMessage: "転入した年月日に未来の日付は入力できません（転入届は転入してから届け出ます）",
      }),
      notifiedOn: dateField("届出日", { notAfter: ctx.today }),
      certificate: z.object({
        fromLgCode: z
          .string({ required_error: "転出元の地方公共団体コードを入力してください" })
          .trim()
          .refine(isValidLgCode, "地方公共団体コードは 6 桁で、検査数字が正しいものを入力してください"),
        fromAddress: text("転出元の住所", 200),
        plannedMoveOutDate: dateField("転出予定年月日"),
      }),
      household: householdTarget(),
      address: group(addressSchema(ctx)),
      persons: z
        .array(personSchema(ctx, { codes: "required" }))
        .min(1, "転入する方を 1 人以上入力してください")
        .max(MAX_PERSONS, `一度に入力できるのは ${MAX_PERSONS} 人までです`),
    })
    .superRefine((v, c) => {
      if (v.notifiedOn < v.movedInOn)
        c.addIssue({
          code: "custom",
          path: ["notifiedOn"],
          message: "転入届は転入した日以後に届け出てください",
        });
      requireAddressForNewHousehold(v, c);
      headCount(v.persons, v.household, c);
    });
}

export function birthSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      notifiedOn: dateField("届出日", { notAfter: ctx.today }),
      child: personSchema(ctx, { codes: "none" }),
      household: householdTarget(),
      address: group(addressSchema(ctx)),
    })
    .superRefine((v, c) => {
      if (v.notifiedOn < v.child.birthDate)
        c.addIssue({ code: "custom", path: ["notifiedOn"], message: "出生届の届出日が生年月日より前です" });
      requireAddressForNewHousehold(v, c);
      if (v.household.kind === "new" && v.child.relationship !== "世帯主")
        c.addIssue({
          code: "custom",
          path: ["child", "relationship"],
          message: "新しい世帯には世帯主を一人（続柄「世帯主」）指定してください",
        });
      if (v.household.kind === "join" && v.child.relationship === "世帯主")
        c.addIssue({
          code: "custom",
          path: ["child", "relationship"],
          message: "既存の世帯に加わる子を世帯主にはできません",
        });
    });
}

export function deathSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      residentCode: residentCodeField("亡くなった方の住民票コード"),
      diedOn: dateField("死亡年月日", { notAfter: ctx.today }),
      notifiedOn: dateField("届出日", { notAfter: ctx.today }),
      newHeadCode: residentCodeField("新しい世帯主の住民票コード").optional(),
    })
    .superRefine((v, c) => {
      if (v.notifiedOn < v.diedOn)
        c.addIssue({ code: "custom", path: ["notifiedOn"], message: "死亡届の届出日が死亡年月日より前です" });
      if (v.newHeadCode && v.newHeadCode === v.residentCode)
        c.addIssue({
          code: "custom",
          path: ["newHeadCode"],
          message: "亡くなった方を新しい世帯主にはできません",
        });
    });
}

export function householdChangeSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      effectiveDate: dateField("異動日", { notAfter: ctx.today }),
      notifiedOn: dateField("届出日", { notAfter: ctx.today }),
      type: z.enum(Object.keys(HOUSEHOLD_CHANGE_TYPES) as [keyof typeof HOUSEHOLD_CHANGE_TYPES], {
        errorMap: () => ({ message: "世帯変更の種類を選んでください" }),
      }),
      /** Any member of the household changed (for a merge: of the household that joins). */
      householdCode: residentCodeField("世帯の方の住民票コード"),
      newHeadCode: residentCodeField("新しい世帯主の住民票コード").optional(),
      intoCode: residentCodeField("合併先の世帯の方の住民票コード").optional(),
      relationships: rows(relationshipRow),
      remainingHeadCode: residentCodeField("残る世帯の新しい世帯主の住民票コード").optional(),
      remainingRelationships: rows(relationshipRow),
    })
    .superRefine((v, c) => {
      if (v.notifiedOn < v.effectiveDate)
        c.addIssue({
          code: "custom",
          path: ["notifiedOn"],
          message: "世帯変更届は異動の日以後に届け出てください",
        });
      if ((v.type === "changeHead" || v.type === "split") && !v.newHeadCode)
        c.addIssue({
          code: "custom",
          path: ["newHeadCode"],
          message: "新しい世帯主の住民票コードを入力してください",
        });
      if (v.type === "merge" && !v.intoCode)
        c.addIssue({
          code: "custom",
          path: ["intoCode"],
          message: "合併先の世帯の方の住民票コードを入力してください",
        });
      if (v.type === "composition" && v.relationships.length === 0)
        c.addIssue({
          code: "custom",
          path: ["relationships"],
          message: "変更する続柄を 1 人以上入力してください",
        });
      const seen = new Set<string>();
      v.relationships.forEach((r, i) => {
        if (seen.has(r.residentCode) || r.residentCode === v.newHeadCode)
          c.addIssue({
            code: "custom",
            path: ["relationships", i, "residentCode"],
            message: "同じ方が二度入力されています",
          });
        seen.add(r.residentCode);
        if (r.relationship === "世帯主")
          c.addIssue({
            code: "custom",
            path: ["relationships", i, "relationship"],
            message: "世帯主は「新しい世帯主」の欄で指定してください",
          });
      });
    });
}

const residentCodes = (what: string) =>
  z
    .array(residentCodeField(`${what}の住民票コード`))
    .min(1, `${what}を 1 人以上入力してください`)
    .max(MAX_ROWS, `一度に指定できるのは ${MAX_ROWS} 人までです`)
    .refine((codes) => new Set(codes).size === codes.length, "同じ方が二度入力されています");

export function emigrationSchema(ctx: FormContext) {
  return z.object({
    requestKey,
    residentCodes: residentCodes("国外へ転出する方"),
    departedOn: dateField("国外転出の予定年月日"),
    notifiedOn: dateField("届出日", { notAfter: ctx.today }),
    destinationAddress: text("国外の転出先", 200),
  });
}

export function immigrationSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      movedInOn: dateField("転入した年月日", {
        notAfter: ctx.today,
        notAfterMessage: "転入した年月日に未来の日付は入力できません（転入届は転入してから届け出ます）",
      }),
      notifiedOn: dateField("届出日", { notAfter: ctx.today }),
      previousAddress: text("国外の従前の住所", 200),
      household: householdTarget(),
      address: group(addressSchema(ctx)),
      persons: z
        .array(personSchema(ctx, { codes: "optional" }))
        .min(1, "転入する方を 1 人以上入力してください")
        .max(MAX_PERSONS, `一度に入力できるのは ${MAX_PERSONS} 人までです`),
    })
    .superRefine((v, c) => {
      if (v.notifiedOn < v.movedInOn)
        c.addIssue({
          code: "custom",
          path: ["notifiedOn"],
          message: "転入届は転入した日以後に届け出てください",
        });
      requireAddressForNewHousehold(v, c);
      headCount(v.persons, v.household, c);
    });
}

const reason = text("理由", 500);

export function exOfficioEntrySchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      effectiveDate: dateField("住所を定めた年月日", { notAfter: ctx.today }),
      reason,
      previousAddress: optionalText("従前の住所", 200),
      household: householdTarget(),
      address: group(addressSchema(ctx)),
      persons: z
        .array(personSchema(ctx, { codes: "optional" }))
        .min(1, "記載する方を 1 人以上入力してください")
        .max(MAX_PERSONS, `一度に入力できるのは ${MAX_PERSONS} 人までです`),
    })
    .superRefine((v, c) => {
      requireAddressForNewHousehold(v, c);
      headCount(v.persons, v.household, c);
    });
}

export function exOfficioRemovalSchema(ctx: FormContext) {
  return z.object({
    requestKey,
    residentCodes: residentCodes("消除する方"),
    effectiveDate: dateField("消除の年月日", { notAfter: ctx.today }),
    reason,
    newHeadCode: residentCodeField("新しい世帯主の住民票コード").optional(),
  });
}

export function exOfficioCorrectionSchema(ctx: FormContext) {
  return z
    .object({
      requestKey,
      residentCode: residentCodeField("修正する方の住民票コード"),
      effectiveDate: dateField("修正の年月日", { notAfter: ctx.today }).optional(),
      reason,
      corrections: z
        .object({
          name: z
            .object({
              family: optionalText("氏"),
              given: optionalText("名"),
              familyKana: optionalText("氏のフリガナ"),
              givenKana: optionalText("名のフリガナ"),
            })
            .optional(),
          birthDate: dateField("生年月日", { notAfter: ctx.today }).optional(),
          sex: z.enum(["male", "female"]).optional(),
          relationship: optionalText("続柄", 20),
          honseki: honsekiSchema,
          previousAddress: optionalText("従前の住所", 200),
          address: group(addressSchema(ctx)),
        })
        .default({}),
    })
    .superRefine((v, c) => {
      const corr = v.corrections;
      const n = corr.name;
      if (n && (n.family || n.given || n.familyKana || n.givenKana)) {
        // A name is corrected as a whole: all four parts, as the record holds them.
        for (const [key, what] of [
          ["family", "氏"],
          ["given", "名"],
          ["familyKana", "氏のフリガナ"],
          ["givenKana", "名のフリガナ"],
        ] as const) {
          const value = n[key];
          if (!value)
            c.addIssue({
              code: "custom",
              path: ["corrections", "name", key],
              message: `氏名を修正するときは${what}も入力してください`,
            });
          else if (key.endsWith("Kana") && !KANA.test(value))
            c.addIssue({
              code: "custom",
              path: ["corrections", "name", key],
              message: `${what}は全角カタカナで入力してください`,
            });
        }
      }
      const h = corr.honseki;
      if (h && Boolean(h.address) !== Boolean(h.headOfFamily))
        c.addIssue({
          code: "custom",
          path: ["corrections", "honseki", h.address ? "headOfFamily" : "address"],
          message: "本籍を修正するときは本籍と筆頭者の両方を入力してください",
        });
      if (corr.relationship === "世帯主")
        c.addIssue({
          code: "custom",
          path: ["corrections", "relationship"],
          message: "世帯主の変更は世帯変更届で行ってください",
        });
      if (Object.keys(correctionsOf(corr)).length === 0)
        c.addIssue({
          code: "custom",
          path: ["corrections"],
          message: "修正する項目を 1 つ以上入力してください",
        });
    });
}

/** The corrections actually asked for (blank fields mean "unchanged"). */
export function correctionsOf(corr: z.infer<ReturnType<typeof exOfficioCorrectionSchema>>["corrections"]) {
  const out: Record<string, unknown> = {};
  const n = corr.name;
  if (n && (n.family || n.given || n.familyKana || n.givenKana)) out.name = n;
  if (corr.birthDate) out.birthDate = corr.birthDate;
  if (corr.sex) out.sex = corr.sex;
  if (corr.relationship) out.relationship = corr.relationship;
  if (corr.honseki?.address || corr.honseki?.headOfFamily) out.honseki = corr.honseki;
  if (corr.previousAddress) out.previousAddress = corr.previousAddress;
  if (corr.address) out.address = corr.address;
  return out;
}

export function changeCancellationSchema(ctx: FormContext) {
  return z.object({
    requestKey,
    residentCode: residentCodeField("取り消す異動の対象の方の住民票コード"),
    reason,
    effectiveDate: dateField("取消の年月日", { notAfter: ctx.today }).optional(),
  });
}

export const FORM_SCHEMAS = {
  moveIn: moveInSchema,
  birth: birthSchema,
  death: deathSchema,
  householdChange: householdChangeSchema,
  emigration: emigrationSchema,
  immigration: immigrationSchema,
  exOfficioEntry: exOfficioEntrySchema,
  exOfficioRemoval: exOfficioRemovalSchema,
  exOfficioCorrection: exOfficioCorrectionSchema,
  changeCancellation: changeCancellationSchema,
} as const satisfies Record<ChangeFormKind, (ctx: FormContext) => z.ZodTypeAny>;

export type FormValue<K extends ChangeFormKind> = z.infer<ReturnType<(typeof FORM_SCHEMAS)[K]>>;

export function formSchema<K extends ChangeFormKind>(
  kind: K,
  ctx: FormContext,
): ReturnType<(typeof FORM_SCHEMAS)[K]> {
  return FORM_SCHEMAS[kind](ctx) as ReturnType<(typeof FORM_SCHEMAS)[K]>;
}

/** The supervisor's decision on an approval request: approve, or reject with a reason. */
export const decisionSchema = z
  .object({
    decision: z.enum(["approve", "reject"], {
      errorMap: () => ({ message: "承認か却下かを選んでください" }),
    }),
    reason: optionalText("理由", 500),
  })
  .superRefine((v, c) => {
    if (v.decision === "reject" && !v.reason)
      c.addIssue({ code: "custom", path: ["reason"], message: "却下の理由を入力してください" });
  });

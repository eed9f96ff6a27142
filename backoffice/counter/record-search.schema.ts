import { z } from "zod";

/**
 * The record search form (住民検索), one schema for the browser and the server. Every search
 * and every record view names its purpose (利用目的), which the audit log keeps.
 */

export const PURPOSES = {
  counter: "窓口での届出・申請の審査",
  certificate: "住民票の写し等の交付",
  identity: "本人確認",
  inquiry: "本人・関係機関からの照会への回答",
  exOfficio: "職権による記載等のための実態調査",
} as const;
export type PurposeCode = keyof typeof PURPOSES;

export function isPurposeCode(v: unknown): v is PurposeCode {
  return typeof v === "string" && v in PURPOSES;
}

export const SEARCH_MODES = {
  fourItems: "氏名・生年月日・性別・住所（4情報）",
  residentCode: "住民票コード",
  myNumber: "個人番号",
} as const;

const digits = (v: string) => v.normalize("NFKC").replace(/[\s-]/g, "");

export const recordSearchSchema = z
  .object({
    // Checked in superRefine below, so that its error shows together with the others.
    purpose: z.string().optional(),
    mode: z.enum(["fourItems", "residentCode", "myNumber"], {
      errorMap: () => ({ message: "検索の方法を選んでください" }),
    }),
    residentCode: z.string().max(20).transform(digits).optional(),
    myNumber: z.string().max(20).transform(digits).optional(),
    name: z.string().max(100).optional(),
    birthDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "生年月日は 2000-01-31 の形で入力してください")
      .optional(),
    sex: z.enum(["male", "female"]).optional(),
    address: z.string().max(200).optional(),
    includeRemoved: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (!isPurposeCode(v.purpose)) {
      ctx.addIssue({ code: "custom", path: ["purpose"], message: "利用目的を選んでください" });
    }
    if (v.mode === "residentCode" && !/^\d{11}$/.test(v.residentCode ?? "")) {
      ctx.addIssue({
        code: "custom",
        path: ["residentCode"],
        message: "住民票コードは11桁の数字で入力してください",
      });
    }
    if (v.mode === "myNumber" && !/^\d{12}$/.test(v.myNumber ?? "")) {
      ctx.addIssue({ code: "custom", path: ["myNumber"], message: "個人番号は12桁の数字で入力してください" });
    }
    if (v.mode === "fourItems" && !v.name && !v.birthDate && !v.address) {
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message: "氏名・生年月日・住所のいずれかを入力してください（性別だけでは検索できません）",
      });
    }
  })
  .transform((v) => ({ ...v, purpose: v.purpose as PurposeCode }));

export type RecordSearch = z.infer<typeof recordSearchSchema>;

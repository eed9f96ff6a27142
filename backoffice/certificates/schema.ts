/**
 * The certificate request, one Zod schema for the form (Conform, both sides) and the domain
 * (issue.ts validates with it again, so a caller other than the form gets the same rules).
 * Messages are Japanese and name the rule, never a personal value.
 */
import { z } from "zod";

export const CERTIFICATE_FEE_YEN = 300;

const flag = z.boolean().optional().default(false);

export const certificateItemsSchema = z
  .object({
    householdHead: flag,
    honseki: flag,
    residentCode: flag,
    myNumber: flag,
    foreignerItems: flag,
  })
  .default({});

export const REQUESTER_LABELS = {
  self: "本人",
  household: "同一世帯の者",
  thirdParty: "第三者",
} as const;

export const certificateRequestSchema = z
  .object({
    form: z.enum(["household", "individual"], {
      required_error: "様式（世帯全員・世帯の一部）を選んでください",
      invalid_type_error: "様式（世帯全員・世帯の一部）を選んでください",
    }),
    /** 世帯の一部: the other members of the household to print with the person (optional). */
    memberIds: z.array(z.string().uuid("世帯員の指定が正しくありません")).max(50).optional().default([]),
    items: certificateItemsSchema,
    // No radio ticked sends no requester.* at all: still say which field is missing.
    requester: z.preprocess(
      (v) => v ?? {},
      z.object({
        kind: z.enum(["self", "household", "thirdParty"], {
          required_error: "請求者（本人・同一世帯の者・第三者）を選んでください",
          invalid_type_error: "請求者（本人・同一世帯の者・第三者）を選んでください",
        }),
        name: z.string().trim().max(100, "請求者の氏名・名称は100文字以内で入力してください").optional(),
        reason: z.string().trim().max(500, "請求の事由は500文字以内で入力してください").optional(),
      }),
    ),
  })
  .superRefine((v, ctx) => {
    if (v.requester.kind !== "thirdParty") return;
    if (!v.requester.name) {
      ctx.addIssue({
        code: "custom",
        path: ["requester", "name"],
        message: "第三者からの請求では、請求者の氏名・名称を入力してください",
      });
    }
    if (!v.requester.reason || v.requester.reason.length < 4) {
      ctx.addIssue({
        code: "custom",
        path: ["requester", "reason"],
        message: "第三者からの請求では、正当な理由（請求の事由）を具体的に入力してください",
      });
    }
    if (v.items.myNumber) {
      ctx.addIssue({
        code: "custom",
        path: ["items", "myNumber"],
        message: "個人番号は本人または同一世帯の者からの請求に限り記載できます",
      });
    }
    if (v.items.residentCode) {
      ctx.addIssue({
        code: "custom",
        path: ["items", "residentCode"],
        message: "住民票コードは本人または同一世帯の者からの請求に限り記載できます",
      });
    }
  });

export type CertificateRequest = z.output<typeof certificateRequestSchema>;

/** What a caller of issueCertificate gives (the schema's input, typed). */
export interface CertificateRequestInput {
  form: "household" | "individual";
  memberIds?: string[];
  items?: Partial<
    Record<"householdHead" | "honseki" | "residentCode" | "myNumber" | "foreignerItems", boolean>
  >;
  requester: { kind: "self" | "household" | "thirdParty"; name?: string; reason?: string };
}

/** 証明書の照合: a certificate number and its verification code. */
export const certificateVerifySchema = z.object({
  certificateNumber: z
    .string({ required_error: "証明書番号を入力してください" })
    .trim()
    .transform((v) => v.normalize("NFKC"))
    .pipe(
      z
        .string()
        .regex(/^\d{6}-\d{8}$/, "証明書番号は「6桁-8桁」の形で入力してください（例: 131075-00000012）"),
    ),
  code: z
    .string({ required_error: "照合番号を入力してください" })
    .trim()
    .min(16, "照合番号は16文字（4文字ずつ4組）です")
    .max(40, "照合番号は16文字（4文字ずつ4組）です"),
});

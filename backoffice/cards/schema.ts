import { z } from "zod";

/**
 * The card pages' forms: one schema each, used by the browser (Conform, as you type) and by the
 * action. PINs travel in the POST body only; nothing here echoes them.
 */

export const CARD_OPERATION_VALUES = [
  "continuedUse",
  "surfaceUpdate",
  "signCertReissue",
  "issue",
  "abolish",
  "collect",
  "unsuspend",
  "return",
] as const;

/** Operations for which the resident enters the 4-digit 利用者証明用 PIN. */
export const PIN_OPERATIONS: readonly string[] = ["continuedUse", "signCertReissue"];

const cardId = z
  .string({ required_error: "カードを選んでください" })
  .regex(/^[A-Za-z0-9_-]{43}$/, "カードを選んでください");
const pin = z
  .string({ required_error: "暗証番号（数字4桁）を入力してください" })
  .regex(/^\d{4}$/, "暗証番号は数字4桁で入力してください");
const requestKey = z.string({ required_error: "画面を読み込み直してください" }).regex(/^[\w-]{8,100}$/);

export const identityCheckSchema = z.object({
  requestKey,
  cardId,
  pin,
});

export const cardOperationSchema = z
  .object({
    requestKey,
    operation: z.enum(CARD_OPERATION_VALUES, {
      required_error: "手続を選んでください",
      invalid_type_error: "手続を選んでください",
    }),
    cardId,
    pin: z.string().optional(),
    newSignPin: z.string().optional(),
    newSignPinConfirm: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    if (PIN_OPERATIONS.includes(v.operation) && !/^\d{4}$/.test(v.pin ?? ""))
      ctx.addIssue({
        code: "custom",
        path: ["pin"],
        message: "この手続では、利用者証明用電子証明書の暗証番号（数字4桁）を入力してください",
      });
    if (v.operation === "signCertReissue") {
      if (!/^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,16}$/.test(v.newSignPin ?? ""))
        ctx.addIssue({
          code: "custom",
          path: ["newSignPin"],
          message: "新しい署名用暗証番号は、英字と数字を組み合わせた6〜16文字で設定してください",
        });
      else if (v.newSignPin !== v.newSignPinConfirm)
        ctx.addIssue({
          code: "custom",
          path: ["newSignPinConfirm"],
          message: "確認のため、同じ暗証番号をもう一度入力してください",
        });
    }
  });

export const residentLookupSchema = z.object({
  residentCode: z
    .string({ required_error: "住民票コード（11桁）を入力してください" })
    .transform((s) => s.replace(/[\s-]/g, ""))
    .pipe(z.string().regex(/^\d{11}$/, "住民票コードは11桁の数字です")),
});

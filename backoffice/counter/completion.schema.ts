import { z } from "zod";
import { addDays } from "../register/time-rules.js";

/**
 * The completion form (「転入を確定」「転居を確定」), one schema for the browser and the server.
 * Staff confirm the address, the household (new, join one living at the address, or — for a
 * 転居 of the whole household — the same), its head and the relationships, and the move date.
 */

// Numbers are checked as text (digits, range) so that every field's error shows at once: a
// failed z.number() would stop the cross-field checks below from running.
const int = (label: string, min: number, max: number) =>
  z
    .string({ required_error: `${label}を入力してください` })
    .transform((v) => v.normalize("NFKC").trim())
    .refine((v) => /^\d{1,4}$/.test(v), `${label}は数字で入力してください`)
    .refine((v) => Number(v) >= min && Number(v) <= max, `${label}は${min}〜${max}で入力してください`);

export const completionSchema = z
  .object({
    intent: z.literal("complete"),
    kind: z.enum(["moveOut", "relocation"]),
    requestKey: z.string().uuid("画面を読み込み直してください"),
    town: z.string({ required_error: "町名を選んでください" }).min(1, "町名を選んでください"),
    chome: int("丁目", 0, 99),
    block: int("番（番地）", 1, 9999),
    lot: int("号", 1, 9999).optional(),
    building: z.string().max(100, "建物名は100文字以内で入力してください").optional(),
    household: z.enum(["new", "join", "same"], {
      errorMap: () => ({ message: "世帯の扱いを選んでください" }),
    }),
    householdId: z.string().optional(),
    head: z.string().optional(),
    movedOn: z
      .string({ required_error: "異動の年月日を入力してください" })
      .regex(/^\d{4}-\d{2}-\d{2}$/, "異動の年月日は 2026-11-26 の形で入力してください"),
    people: z
      .array(
        z.object({
          id: z.string().min(1),
          include: z.boolean().optional(),
          relationship: z.string().max(20, "続柄は20文字以内で入力してください").optional(),
        }),
      )
      .min(1),
  })
  .superRefine((v, ctx) => {
    const moving = v.people.filter((p) => p.include !== false);
    if (v.kind === "moveOut" && moving.length === 0) {
      ctx.addIssue({ code: "custom", path: ["people"], message: "転入する方を1人以上選んでください" });
    }
    if (v.household === "join" && !v.householdId) {
      ctx.addIssue({ code: "custom", path: ["householdId"], message: "加わる世帯を選んでください" });
    }
    if (v.household === "same" && v.kind === "moveOut") {
      ctx.addIssue({
        code: "custom",
        path: ["household"],
        message: "転入では、新しい世帯か既存の世帯かを選んでください",
      });
    }
    if (v.household === "new") {
      if (!v.head || !moving.some((p) => p.id === v.head)) {
        ctx.addIssue({
          code: "custom",
          path: ["head"],
          message: "世帯主を、異動する方の中から選んでください",
        });
      }
    }
    if (v.household !== "same") {
      v.people.forEach((p, i) => {
        if (p.include !== false && p.id !== v.head && !p.relationship?.trim()) {
          ctx.addIssue({
            code: "custom",
            path: ["people", i, "relationship"],
            message: "世帯主との続柄を入力してください",
          });
        }
      });
    }
  });

export type CompletionForm = Omit<z.infer<typeof completionSchema>, "chome" | "block" | "lot"> & {
  chome: number;
  block: number;
  lot?: number;
};

/** The form's numbers as numbers (after validation). */
export function completionValues(v: z.infer<typeof completionSchema>): CompletionForm {
  return {
    ...v,
    chome: Number(v.chome),
    block: Number(v.block),
    ...(v.lot ? { lot: Number(v.lot) } : { lot: undefined }),
  };
}

export const retrySchema = z.object({ intent: z.literal("retry"), messageId: z.string().uuid() });

/** The 14-day period of a 転入届・転居届 (住基法第22条・第23条): later is 届出期間経過. */
export function isLate(movedOn: string, today: string): boolean {
  return addDays(movedOn, 14) < today;
}

import { z } from "zod";
import {
  addDays,
  daysBetween,
  type IsoDate,
  isIsoDate,
  ONLINE_MOVE_OUT_DAYS_AFTER,
  ONLINE_MOVE_OUT_DAYS_BEFORE,
} from "../../backoffice/register/time-rules.js";
import { closedReason, type HolidayCheck } from "./business-days.js";
import { municipalityByCode, resolveMunicipality } from "./municipalities.js";

/**
 * The one schema of the 転出届 + 転入予約 and 転居予約 forms, used by Conform in the browser (as
 * you type) and by the action on the server (authoritative). Messages are keys ("code" or
 * "code:param"); the page turns them into Japanese or English sentences next to the field.
 */

export const APPLICATION_KINDS = ["moveOut", "relocation"] as const;
export type ApplicationKind = (typeof APPLICATION_KINDS)[number];

/** 続柄 to the new household head. */
export const RELATIONSHIPS = [
  "head",
  "wife",
  "husband",
  "child",
  "father",
  "mother",
  "sibling",
  "grandparent",
  "grandchild",
  "cohabitant",
  "other",
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export const MAX_MEMBERS = 9;
/** 特例転入 / 転居届 at the counter: within 14 days of moving (DOMAIN.md). */
export const VISIT_WITHIN_DAYS = 14;

export interface HostedMunicipality {
  lgCode: string;
  towns: { name: string; chomeMax: number }[];
}

export interface RulesContext {
  kind: ApplicationKind;
  /** Today in Japan (YYYY-MM-DD). */
  today: IsoDate;
  /** The filer's current municipality (from the card's address). */
  originLgCode: string;
  isHoliday: HolidayCheck;
  hosted: readonly HostedMunicipality[];
}

const KANA = /^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$/;
const PHONE = /^0\d{1,4}-?\d{1,4}-?\d{3,4}$/;

const text = (max: number) =>
  z.string({ required_error: "required" }).trim().min(1, "required").max(max, `tooLong:${max}`);
const optionalText = (max: number) => z.string().trim().max(max, `tooLong:${max}`).optional();
const isoDate = () => z.string({ required_error: "required" }).refine(isIsoDate, "date");
const int = (min: number, max: number) =>
  z
    .number({ required_error: "required", invalid_type_error: "number" })
    .int("number")
    .min(min, `min:${min}`)
    .max(max, `max:${max}`);

/** A person moving with the filer; the birth date cannot be after `today`. */
export function memberSchema(today: IsoDate) {
  return z.object({
    familyName: text(30),
    givenName: text(30),
    familyKana: text(30).regex(KANA, "kana"),
    givenKana: text(30).regex(KANA, "kana"),
    birthDate: isoDate().refine((d) => !isIsoDate(d) || daysBetween(d, today) >= 0, "birthDate.future"),
    relationship: z.enum(RELATIONSHIPS, { errorMap: () => ({ message: "required" }) }),
    cardContinuedUse: z.boolean().default(false),
  });
}
export type MemberInput = z.infer<ReturnType<typeof memberSchema>>;

export function applicationFormSchema(ctx: RulesContext) {
  return z
    .object({
      // The 30-day window of the online 転出届 (and, by this project's choice, of the 転居予約).
      // Checks that need one field only sit on that field, so they show while others are empty.
      plannedMoveDate: isoDate().superRefine((date, issues) => {
        if (!isIsoDate(date)) return;
        const offset = daysBetween(date, ctx.today);
        if (offset < -ONLINE_MOVE_OUT_DAYS_BEFORE)
          issues.addIssue({
            code: "custom",
            message: `moveDate.tooEarly:${addDays(date, -ONLINE_MOVE_OUT_DAYS_BEFORE)}`,
          });
        else if (offset > ONLINE_MOVE_OUT_DAYS_AFTER)
          issues.addIssue({ code: "custom", message: "moveDate.tooLate" });
      }),
      // Where to: every municipality of Japan, searchable; not the one the filer lives in.
      // 転居予約 stays in the filer's municipality: no destination to pick.
      destination:
        ctx.kind === "moveOut"
          ? text(40).superRefine((value, issues) => {
              const match = resolveMunicipality(value);
              const problem =
                match.kind === "notFound"
                  ? "destination.notFound"
                  : match.kind === "ambiguous"
                    ? "destination.ambiguous"
                    : match.municipality.lgCode === ctx.originLgCode
                      ? "destination.sameAsOrigin"
                      : undefined;
              if (problem) issues.addIssue({ code: "custom", message: problem });
            })
          : z.string().optional(),
      town: text(40),
      chome: int(1, 99).optional(),
      block: int(1, 9999),
      lot: int(1, 9999).optional(),
      building: optionalText(60),
      filerRelationship: z.enum(RELATIONSHIPS, { errorMap: () => ({ message: "required" }) }),
      filerCardContinuedUse: z.boolean().default(false),
      members: z.array(memberSchema(ctx.today)).max(MAX_MEMBERS, `maxMembers:${MAX_MEMBERS}`).default([]),
      joinExisting: z.boolean().default(false),
      existingHeadFamilyName: optionalText(30),
      existingHeadGivenName: optionalText(30),
      phone: z
        .string({ required_error: "required" })
        .trim()
        .transform((v) => v.normalize("NFKC").replace(/[‐－ー−]/g, "-"))
        .refine((v) => PHONE.test(v) && [10, 11].includes(v.replace(/-/g, "").length), "phone"),
      email: z.string({ required_error: "required" }).trim().email("email").max(254, "tooLong:254"),
      // 来庁予定日: after today, on a counter day.
      plannedVisitDate: isoDate().superRefine((date, issues) => {
        if (!isIsoDate(date)) return;
        const closed = closedReason(date, ctx.isHoliday);
        if (daysBetween(ctx.today, date) <= 0)
          issues.addIssue({ code: "custom", message: "visit.notFuture" });
        else if (closed) issues.addIssue({ code: "custom", message: `visit.${closed}` });
      }),
    })
    .superRefine((v, issues) => {
      const add = (path: (string | number)[], message: string) =>
        issues.addIssue({ code: z.ZodIssueCode.custom, path, message });

      // Hosted municipalities know their towns and 丁目: the address must exist there.
      let destinationLgCode: string | undefined = ctx.originLgCode;
      if (ctx.kind === "moveOut") {
        const match = resolveMunicipality(v.destination ?? "");
        destinationLgCode = match.kind === "found" ? match.municipality.lgCode : undefined;
      }
      const hosted = destinationLgCode ? ctx.hosted.find((h) => h.lgCode === destinationLgCode) : undefined;
      if (hosted && v.town) {
        const town = hosted.towns.find((t) => t.name === v.town.normalize("NFKC"));
        if (!town) add(["town"], "town.notInMunicipality");
        else if (town.chomeMax > 0 && v.chome === undefined) add(["chome"], "chome.required");
        else if (town.chomeMax > 0 && v.chome !== undefined && v.chome > town.chomeMax)
          add(["chome"], `chome.tooLarge:${town.chomeMax}`);
        else if (town.chomeMax === 0 && v.chome !== undefined) add(["chome"], "chome.none");
      }

      // Exactly one new household head among those moving, unless joining an existing household.
      const heads =
        (v.filerRelationship === "head" ? 1 : 0) + v.members.filter((m) => m.relationship === "head").length;
      if (v.joinExisting) {
        if (heads > 0) add(["householdHead"], "household.noHeadWhenJoining");
        if (!v.existingHeadFamilyName) add(["existingHeadFamilyName"], "required");
        if (!v.existingHeadGivenName) add(["existingHeadGivenName"], "required");
      } else if (heads !== 1) {
        add(["householdHead"], "household.oneHead");
      }

      // 来庁予定日 against the move: not before it, within 14 days of it.
      if (isIsoDate(v.plannedVisitDate) && isIsoDate(v.plannedMoveDate)) {
        const after = daysBetween(v.plannedMoveDate, v.plannedVisitDate);
        if (after < 0) add(["plannedVisitDate"], "visit.beforeMove");
        else if (after > VISIT_WITHIN_DAYS)
          add(["plannedVisitDate"], `visit.tooLate:${addDays(v.plannedMoveDate, VISIT_WITHIN_DAYS)}`);
      }
    })
    .transform((v) => {
      const match = ctx.kind === "moveOut" ? resolveMunicipality(v.destination ?? "") : undefined;
      const destinationLgCode = match
        ? match.kind === "found"
          ? match.municipality.lgCode
          : ""
        : ctx.originLgCode;
      return { ...v, destinationLgCode };
    });
}

export type ApplicationForm = z.output<ReturnType<typeof applicationFormSchema>>;
export type ApplicationFormInput = z.input<ReturnType<typeof applicationFormSchema>>;

/** Name of a municipality for messages and the review page ("東京都台東区"). */
export function municipalityLabel(lgCode: string): string {
  return municipalityByCode(lgCode)?.label ?? lgCode;
}

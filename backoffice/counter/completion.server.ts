import { randomUUID } from "node:crypto";
import { commandContext, type StaffSession } from "../auth/session.server.js";
import { completeRelocation, completeSpecialMoveIn, type RelocationFiling } from "../pipeline/completion.js";
import { type OutgoingMessage, outgoingMessages, retryOutgoing } from "../pipeline/messages.queries.js";
import { ForbiddenError } from "../register/authorization.js";
import { RegisterValidationError } from "../register/errors.js";
import { HEAD } from "../register/record.js";
import type { IsoDate } from "../register/time-rules.js";
import type { BackofficeServices } from "../services.server.js";
import type { CompletionForm } from "./completion.schema.js";
import { getReservation, householdsAt, type ReservationDetail } from "./reservations.queries.js";

/**
 * 「転入を確定」「転居を確定」 at the counter: the form's defaults from the reservation, the call
 * of the pipeline's completion commands, and the follow-up of the outgoing 住基ネット messages.
 */

interface CertAddress {
  town?: string;
  chome?: number;
  block?: number;
  lot?: number;
  building?: string;
  line?: string;
}
interface CertPerson {
  residentCode: string;
  name: { family: string; given: string; familyKana: string; givenKana: string };
  birthDate: string;
  relationship: string;
  householdHead: boolean;
}
interface Certificate {
  destination?: { address: CertAddress };
  plannedMoveOutDate: string;
  persons: CertPerson[];
}

export interface FormPerson {
  id: string;
  name: string;
  kana: string;
  birthDate: string;
  relationship: string;
  head: boolean;
}

export interface CompletionDefaults {
  requestKey: string;
  town: string;
  chome: number;
  block: number;
  lot: number | null;
  building: string;
  household: "new" | "join" | "same";
  head: string;
  movedOn: IsoDate;
  people: FormPerson[];
}

export { isLate } from "./completion.schema.js";

export function completionDefaults(r: ReservationDetail, today: IsoDate): CompletionDefaults {
  const planned = r.plannedMoveOutDate;
  const movedOn = planned <= today ? planned : today;
  if (r.kind === "moveOut") {
    const cert = r.certificate as Certificate;
    const a = cert.destination?.address ?? {};
    const people = cert.persons.map((p) => ({
      id: p.residentCode,
      name: `${p.name.family} ${p.name.given}`,
      kana: `${p.name.familyKana} ${p.name.givenKana}`,
      birthDate: p.birthDate,
      relationship: p.relationship,
      head: p.householdHead,
    }));
    return {
      requestKey: randomUUID(),
      town: a.town ?? "",
      chome: a.chome ?? 0,
      block: a.block ?? 1,
      lot: a.lot ?? null,
      building: a.building ?? "",
      household: "new",
      head: people.find((p) => p.head)?.id ?? people[0]?.id ?? "",
      movedOn,
      people,
    };
  }
  const filing = r.certificate as RelocationFiling;
  const people = r.people.map((p) => ({
    id: p.residentId ?? "",
    name: `${p.name.family} ${p.name.given}`,
    kana: `${p.name.familyKana} ${p.name.givenKana}`,
    birthDate: p.birthDate,
    relationship: p.relationship ?? "",
    head: p.relationship === HEAD,
  }));
  return {
    requestKey: randomUUID(),
    town: filing.address.town,
    chome: filing.address.chome,
    block: filing.address.block,
    lot: filing.address.lot ?? null,
    building: filing.address.building ?? "",
    household: "same",
    head: people.find((p) => p.head)?.id ?? people[0]?.id ?? "",
    movedOn,
    people,
  };
}

export interface CompletionPageData {
  reservation: ReservationDetail;
  defaults: CompletionDefaults | null;
  joinable: { householdId: string; headName: string; members: number; addressLine: string }[];
  messages: OutgoingMessage[];
  completion: {
    late: boolean;
    residentIds: string[];
    messageIds: string[];
    /** The people registered or moved by the completion, for the links to their record and card. */
    people: { id: string; name: string }[];
  } | null;
}

export async function completionPage(
  office: BackofficeServices,
  staff: StaffSession,
  reservationId: string,
): Promise<CompletionPageData | null> {
  const reservation = await getReservation(office.db, staff.lgCode, reservationId);
  if (!reservation) return null;
  const today = office.today();
  const defaults = reservation.status === "waiting" ? completionDefaults(reservation, today) : null;
  const joinable = defaults?.town
    ? await householdsAt(office.db, staff.lgCode, {
        town: defaults.town,
        chome: defaults.chome,
        block: defaults.block,
      })
    : [];
  const messages =
    reservation.status === "completed"
      ? await outgoingMessages(office.db, staff.lgCode, { reservationId })
      : [];
  const c = reservation.completion as {
    late?: boolean;
    residentIds?: string[];
    messageIds?: string[];
  } | null;
  const residentIds = c?.residentIds ?? [];
  const people =
    residentIds.length > 0
      ? await office.db
          .selectFrom("register.resident")
          .select(["id", "family_name", "given_name"])
          .where("lg_code", "=", staff.lgCode)
          .where("id", "in", residentIds)
          .execute()
      : [];
  const nameOf = new Map(people.map((p) => [p.id, `${p.family_name} ${p.given_name}`]));
  return {
    reservation,
    defaults,
    joinable,
    messages,
    completion: c
      ? {
          late: Boolean(c.late),
          residentIds,
          messageIds: c.messageIds ?? [],
          people: residentIds.map((id) => ({ id, name: nameOf.get(id) ?? "" })),
        }
      : null,
  };
}

export type SubmitOutcome =
  | { kind: "done"; late: boolean }
  | { kind: "invalid"; fieldErrors: Record<string, string[]>; formErrors: string[] };

/** Maps a register path (address.chome, movedInOn, persons.0.relationship …) to the form's field. */
function formField(path: string): string | null {
  if (path.startsWith("address.")) {
    const f = path.slice("address.".length);
    return ["town", "chome", "block", "lot", "building"].includes(f) ? f : "town";
  }
  if (path === "movedInOn" || path === "movedOn") return "movedOn";
  if (path === "household" || path === "householdId") return path;
  return null;
}

export async function submitCompletion(
  office: BackofficeServices,
  staff: StaffSession,
  reservation: ReservationDetail,
  form: CompletionForm,
): Promise<SubmitOutcome> {
  const ctx = commandContext(office, staff);
  const address = {
    town: form.town,
    chome: form.chome,
    block: form.block,
    lot: form.lot ?? null,
    building: form.building?.trim() || null,
  };
  const relationships = Object.fromEntries(
    form.people
      .filter((p) => p.include !== false && p.id !== form.head && p.relationship?.trim())
      .map((p) => [p.id, p.relationship!.trim()]),
  );
  try {
    if (reservation.kind === "moveOut") {
      const result = await completeSpecialMoveIn(ctx, {
        requestKey: form.requestKey,
        lgCode: staff.lgCode,
        reservationId: reservation.id,
        ...(form.household === "join" ? { householdId: form.householdId! } : { address }),
        people: form.people.map((p) => ({
          residentCode: p.id,
          include: p.include !== false,
          ...(form.household === "new" && p.id === form.head
            ? { householdHead: true }
            : {
                householdHead: false,
                ...(p.relationship?.trim() ? { relationship: p.relationship.trim() } : {}),
              }),
        })),
        movedInOn: form.movedOn,
      });
      return { kind: "done", late: result.late };
    }
    const result = await completeRelocation(ctx, {
      requestKey: form.requestKey,
      lgCode: staff.lgCode,
      reservationId: reservation.id,
      ...(form.household === "join" ? {} : { address }),
      household:
        form.household === "same"
          ? { kind: "same" }
          : form.household === "new"
            ? { kind: "new", headId: form.head!, relationships }
            : { kind: "join", householdId: form.householdId!, relationships },
      movedOn: form.movedOn,
    });
    return { kind: "done", late: result.late };
  } catch (err) {
    if (err instanceof RegisterValidationError) {
      const fieldErrors: Record<string, string[]> = {};
      const formErrors: string[] = [];
      for (const [path, message] of Object.entries(err.fields)) {
        const f = formField(path);
        if (f) fieldErrors[f] = [...(fieldErrors[f] ?? []), message];
        else formErrors.push(message);
      }
      return { kind: "invalid", fieldErrors, formErrors };
    }
    throw err;
  }
}

export async function retryMessage(office: BackofficeServices, staff: StaffSession, messageId: string) {
  return retryOutgoing(office.db, staff.lgCode, messageId);
}

export { ForbiddenError };

import type { CardClaims } from "../auth/claims.js";
import { splitName } from "../auth/claims.js";
import type { ApplicationForm, ApplicationFormInput, ApplicationKind, Relationship } from "./schema.js";
import { municipalityLabel } from "./schema.js";

/**
 * The application as it is signed, stored and sealed for the back office (version 1). Its
 * canonical JSON is what the card signs, so everything the back office must rely on is in here:
 * the application id (a signature cannot be replayed onto another application), the day of
 * filing, the filer as the card names them, and what the resident entered.
 */
export interface ApplicationDocument {
  version: 1;
  applicationId: string;
  kind: ApplicationKind;
  filedOn: string;
  origin: { lgCode: string; name: string; addressLine: string };
  destination: {
    lgCode: string;
    name: string;
    town: string;
    chome: number | null;
    block: number;
    lot: number | null;
    building: string | null;
  };
  plannedMoveDate: string;
  plannedVisitDate: string;
  /** null: one of the members becomes the head (relationship "head"). */
  existingHouseholdHead: { familyName: string; givenName: string } | null;
  members: DocumentMember[];
  contact: { phone: string; email: string };
}

export interface DocumentMember {
  position: number;
  isFiler: boolean;
  familyName: string;
  givenName: string;
  familyKana: string;
  givenKana: string;
  birthDate: string;
  relationship: Relationship;
  cardContinuedUse: boolean;
}

export function buildDocument(input: {
  applicationId: string;
  kind: ApplicationKind;
  today: string;
  originLgCode: string;
  claims: CardClaims;
  form: ApplicationForm;
}): ApplicationDocument {
  const { form, claims } = input;
  const name = splitName(claims.name);
  const kana = splitName(claims.name_kana);
  return {
    version: 1,
    applicationId: input.applicationId,
    kind: input.kind,
    filedOn: input.today,
    origin: {
      lgCode: input.originLgCode,
      name: municipalityLabel(input.originLgCode),
      addressLine: claims.address ?? "",
    },
    destination: {
      lgCode: form.destinationLgCode,
      name: municipalityLabel(form.destinationLgCode),
      town: form.town.normalize("NFKC"),
      chome: form.chome ?? null,
      block: form.block,
      lot: form.lot ?? null,
      building: form.building || null,
    },
    plannedMoveDate: form.plannedMoveDate,
    plannedVisitDate: form.plannedVisitDate,
    existingHouseholdHead:
      form.joinExisting && form.existingHeadFamilyName && form.existingHeadGivenName
        ? { familyName: form.existingHeadFamilyName, givenName: form.existingHeadGivenName }
        : null,
    members: [
      {
        position: 0,
        isFiler: true,
        familyName: name.family,
        givenName: name.given,
        familyKana: kana.family,
        givenKana: kana.given,
        birthDate: claims.birthdate ?? "",
        relationship: form.filerRelationship,
        cardContinuedUse: form.filerCardContinuedUse,
      },
      ...form.members.map((m, i) => ({
        position: i + 1,
        isFiler: false,
        familyName: m.familyName,
        givenName: m.givenName,
        familyKana: m.familyKana,
        givenKana: m.givenKana,
        birthDate: m.birthDate,
        relationship: m.relationship,
        cardContinuedUse: m.cardContinuedUse,
      })),
    ],
    contact: { phone: form.phone, email: form.email },
  };
}

/** A stored draft back into the form's fields (for 「修正する」). */
export function formDefaults(doc: ApplicationDocument): ApplicationFormInput {
  const filer = doc.members.find((m) => m.isFiler);
  return {
    plannedMoveDate: doc.plannedMoveDate,
    destination: doc.kind === "moveOut" ? doc.destination.name : undefined,
    town: doc.destination.town,
    chome: doc.destination.chome ?? undefined,
    block: doc.destination.block,
    lot: doc.destination.lot ?? undefined,
    building: doc.destination.building ?? undefined,
    filerRelationship: filer?.relationship ?? "head",
    filerCardContinuedUse: filer?.cardContinuedUse ?? false,
    members: doc.members
      .filter((m) => !m.isFiler)
      .map((m) => ({
        familyName: m.familyName,
        givenName: m.givenName,
        familyKana: m.familyKana,
        givenKana: m.givenKana,
        birthDate: m.birthDate,
        relationship: m.relationship,
        cardContinuedUse: m.cardContinuedUse,
      })),
    joinExisting: doc.existingHouseholdHead !== null,
    existingHeadFamilyName: doc.existingHouseholdHead?.familyName,
    existingHeadGivenName: doc.existingHouseholdHead?.givenName,
    phone: doc.contact.phone,
    email: doc.contact.email,
    plannedVisitDate: doc.plannedVisitDate,
  };
}

/** 「転出届・転入予約（東京都墨田区 → 東京都台東区）」: what the IdP shows on its signing page. */
export function signingDescription(doc: ApplicationDocument): string {
  return doc.kind === "moveOut"
    ? `転出届・転入予約（${doc.origin.name} → ${doc.destination.name}）`
    : `転居予約（${doc.origin.name}）`;
}

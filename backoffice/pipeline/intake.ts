/**
 * Intake at the origin (issue 5, item 2): an online 転出届 + 転入予約, signed with the resident's
 * card, becomes a scheduled 転出 of each person, a 転出証明書情報 for the destination, and a status
 * for the portal — all in the caller's transaction (the inbox's).
 */
import { randomUUID } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { enqueue } from "../../jobs/outbox.js";
import type { ApplicationStatus } from "../../jobs/queues.js";
import {
  type Address,
  type CertificatePerson,
  type Envelope,
  type MoveOutCertificate,
  newEnvelope,
} from "../../mocks/juki-net/protocol.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import type { VerificationFailure } from "../../portal/signing/verify.js";
import { appendAudit } from "../register/audit.js";
import { moveOut } from "../register/commands/index.js";
import { RegisterValidationError } from "../register/errors.js";
import { type MyNumberKeys, openMyNumber } from "../register/my-number.js";
import { normalizeKana, normalizeName } from "../register/names.js";
import { rowToState } from "../register/record.js";
import { activeSupportMeasure, getResident, loadMunicipality } from "../register/records.queries.js";
import { normalizeAddress } from "../register/search.queries.js";
import { ageOn, onlineMoveOutWindowOpen } from "../register/time-rules.js";
import { currentByNameAndBirth, householdHead } from "./intake.queries.js";
import { insertMoveCase } from "./move-cases.queries.js";
import { writeOutboundMessage } from "./outbound.js";

type Trx = Transaction<BackofficeDatabase>;

/** 差戻し reasons the portal turns into sentences the resident understands. */
export type ReturnReason =
  | "noRecordMatched"
  | "alreadyMoving"
  | "certificateRevoked"
  | "certificateExpired"
  | "signatureInvalid"
  | "outsideWindow"
  | "householdRule"
  | "destinationNotHosted"
  | "malformedApplication";

export function reasonForVerification(failure: VerificationFailure): ReturnReason {
  if (failure === "revoked") return "certificateRevoked";
  if (failure === "expired" || failure === "notYetValid") return "certificateExpired";
  return "signatureInvalid";
}

export interface IntakeDeps {
  keys: MyNumberKeys;
  today: string;
  now: Date;
  /** The portal's 受付番号, carried to the destination's reservation. */
  receiptNumber?: string | undefined;
  sign(envelope: Envelope): Promise<string>;
}

export type IntakeOutcome =
  | { kind: "accepted"; residentIds: string[]; certificateMessageId: string }
  | { kind: "returned"; reason: ReturnReason }
  | { kind: "forwarded"; requestMessageId: string };

/** Tells the portal, through the closed zone's outbox (ordered per application). */
export async function tellPortal(
  trx: Trx,
  lgCode: string,
  applicationId: string,
  status: ApplicationStatus,
  reasonCode?: string,
): Promise<void> {
  await enqueue(trx, "messaging", {
    queue: "applicationStatus",
    lgCode,
    data: { applicationId, status, ...(reasonCode ? { reasonCode } : {}) },
    orderingKey: `application:${applicationId}`,
  });
}

export async function returnApplication(
  trx: Trx,
  lgCode: string,
  applicationId: string,
  reason: ReturnReason,
): Promise<IntakeOutcome> {
  await tellPortal(trx, lgCode, applicationId, "returned", reason);
  return { kind: "returned", reason };
}

/** The destination address as the 転出証明書情報 carries it. */
export function destinationAddress(
  doc: ApplicationDocument,
  municipality: { prefecture: string; name: string },
): Address {
  const d = doc.destination;
  const chome = d.chome ? `${d.chome}丁目` : "";
  const line = `${municipality.prefecture}${municipality.name}${d.town}${chome}${d.block}番${d.lot ? `${d.lot}号` : ""}${d.building ? ` ${d.building}` : ""}`;
  return {
    lgCode: d.lgCode,
    line,
    prefecture: municipality.prefecture,
    city: municipality.name,
    town: d.town,
    ...(d.chome !== null ? { chome: d.chome } : {}),
    block: d.block,
    ...(d.lot !== null ? { lot: d.lot } : {}),
    ...(d.building ? { building: d.building } : {}),
  };
}

/** The address given matches the record's: one is the beginning of the other, NFKC, no spaces. */
function sameAddress(given: string, recorded: string): boolean {
  const a = normalizeAddress(given);
  const b = normalizeAddress(recorded);
  return a.length > 0 && (b.startsWith(a) || a.startsWith(b));
}

/**
 * Matches the filer and each member to the origin register by the four items (name or kana,
 * birth date, address; the document carries no sex): the filer among the municipality's current
 * records at the address given, the members in the filer's household.
 */
export async function matchPeople(
  trx: Trx,
  lgCode: string,
  doc: ApplicationDocument,
): Promise<{ ok: true; ids: string[]; statuses: string[] } | { ok: false }> {
  const filer = doc.members.find((m) => m.isFiler);
  if (!filer) return { ok: false };
  const key = (m: ApplicationDocument["members"][number]) => ({
    nameKey: normalizeName(m.familyName + m.givenName),
    kanaKey: normalizeKana(m.familyKana + m.givenKana),
    birthDate: m.birthDate,
  });
  const filerHits = (await currentByNameAndBirth(trx, { lgCode, ...key(filer) })).filter((c) =>
    sameAddress(doc.origin.addressLine, c.addressLine),
  );
  if (filerHits.length !== 1) return { ok: false };
  const household = filerHits[0]!.householdId;
  const ids = [filerHits[0]!.id];
  const statuses = [filerHits[0]!.status];
  for (const m of doc.members.filter((x) => !x.isFiler)) {
    const hits = await currentByNameAndBirth(trx, { lgCode, ...key(m), householdId: household });
    if (hits.length !== 1 || ids.includes(hits[0]!.id)) return { ok: false };
    ids.push(hits[0]!.id);
    statuses.push(hits[0]!.status);
  }
  return { ok: true, ids, statuses };
}

/** 資格 lines: this project's assumption from age (as the stand-in derives them). */
function statusLines(birthDate: string, on: string, isHead: boolean, withChild: boolean) {
  const age = ageOn(birthDate, on);
  return {
    nationalHealthInsurance: age < 75,
    lateStageElderlyMedical: age >= 75,
    longTermCare: age >= 65,
    nationalPension: age >= 20 && age < 60 ? ("1" as const) : null,
    childAllowance: isHead && withChild,
  };
}

/** A foreign resident's items as the 転出証明書情報 carries them (absent items left out). */
function foreignerItems(f: Record<string, unknown>): NonNullable<CertificatePerson["foreigner"]> {
  const out: Record<string, string> = { category: String(f.category ?? "") };
  for (const key of [
    "status",
    "periodOfStay",
    "periodExpiresOn",
    "residenceCardNumber",
    "specialPermanentResidentCertificateNumber",
    "alias",
    "becameResidentOn",
  ]) {
    const v = f[key];
    if (typeof v === "string" && v !== "") out[key] = v;
  }
  return out as NonNullable<CertificatePerson["foreigner"]>;
}

async function certificatePeople(
  trx: Trx,
  residentIds: string[],
  deps: IntakeDeps,
  plannedOn: string,
): Promise<CertificatePerson[]> {
  const states = [];
  for (const id of residentIds) {
    const row = await getResident(trx, id);
    if (!row) throw new Error("resident disappeared during intake");
    states.push({ id, s: rowToState(row) });
  }
  const withChild = states.some(({ s }) => ageOn(s.birthDate, plannedOn) < 18);
  const out: CertificatePerson[] = [];
  for (const { id, s } of states) {
    if (!s.myNumberCipher) throw new Error("a person without 個人番号 cannot be certified online");
    await appendAudit(trx, {
      lgCode: s.lgCode,
      actor: { system: "intake" },
      action: "myNumber.read",
      subjectResidentId: id,
      purpose: "転出証明書情報の作成",
      detail: { present: true },
    });
    const head = await householdHead(trx, s.householdId);
    const isHead = s.relationship === "世帯主";
    const support = await activeSupportMeasure(trx, id, deps.today);
    const f = s.foreigner as Record<string, unknown> | null;
    out.push({
      residentCode: s.residentCode,
      myNumber: openMyNumber(Buffer.from(s.myNumberCipher, "base64"), deps.keys),
      name: { family: s.familyName, given: s.givenName, familyKana: s.familyKana, givenKana: s.givenKana },
      birthDate: s.birthDate,
      sex: s.sex,
      householdHead: isHead,
      householdHeadName: head ? `${head.familyName} ${head.givenName}` : "",
      relationship: s.relationship,
      ...(s.honseki && s.honsekiHead ? { honseki: { address: s.honseki, headOfFamily: s.honsekiHead } } : {}),
      nationality: s.nationality,
      ...(f ? { foreigner: foreignerItems(f) } : {}),
      residentSince: s.residentSince,
      addressSince: s.addressSince,
      statusLines: statusLines(s.birthDate, plannedOn, isHead, withChild),
      supportMeasure: support !== undefined,
    });
  }
  return out;
}

/**
 * A verified application at a hosted origin: eligibility, the scheduled 転出 of each person (the
 * register's moveOut command, system actor `intake`), the 転出証明書情報 to the destination, and
 * 転出受理 for the portal; or 差戻し with its reason. Everything in `trx`.
 */
export async function acceptAtOrigin(
  trx: Trx,
  doc: ApplicationDocument,
  deps: IntakeDeps,
): Promise<IntakeOutcome> {
  const lgCode = doc.origin.lgCode;
  const back = (reason: ReturnReason) => returnApplication(trx, lgCode, doc.applicationId, reason);

  if (!onlineMoveOutWindowOpen(doc.plannedMoveDate, deps.today)) return back("outsideWindow");
  const destination = await loadMunicipality(trx, doc.destination.lgCode);
  const origin = await loadMunicipality(trx, lgCode);
  if (!origin) return back("malformedApplication");

  const matched = await matchPeople(trx, lgCode, doc);
  if (!matched.ok) return back("noRecordMatched");
  if (matched.statuses.some((s) => s !== "active")) return back("alreadyMoving");

  const destAddress = destinationAddress(doc, destination ?? { prefecture: "", name: doc.destination.name });
  // The register's own checks (household rules …) refuse with RegisterValidationError; the
  // savepoint keeps a refusal from leaving half a command behind in the inbox's transaction.
  await sql`savepoint intake_move_out`.execute(trx);
  try {
    await moveOut(
      { db: trx, keys: deps.keys, actor: { system: "intake" }, today: deps.today },
      {
        requestKey: `intake:${doc.applicationId}`,
        lgCode,
        residentIds: matched.ids,
        plannedOn: doc.plannedMoveDate,
        notifiedOn: [doc.filedOn, deps.today].sort()[0]!,
        destination: { lgCode: doc.destination.lgCode, address: destAddress.line },
      },
    );
  } catch (err) {
    if (err instanceof RegisterValidationError) {
      await sql`rollback to savepoint intake_move_out`.execute(trx);
      return back("householdRule");
    }
    throw err;
  }
  await sql`release savepoint intake_move_out`.execute(trx);

  const filerRow = await getResident(trx, matched.ids[0]!);
  const filer = rowToState(filerRow!);
  const originAddress: Address = {
    lgCode,
    line: filer.addressLine,
    prefecture: origin.prefecture,
    city: origin.name,
    town: filer.town,
    chome: filer.chome,
    block: filer.block,
    ...(filer.lot !== null ? { lot: filer.lot } : {}),
    ...(filer.building ? { building: filer.building } : {}),
  };
  const body: MoveOutCertificate = {
    applicationId: doc.applicationId,
    ...(deps.receiptNumber ? { receiptNumber: deps.receiptNumber } : {}),
    certificateId: randomUUID(),
    issuedOn: deps.today,
    origin: { lgCode, address: originAddress },
    destination: { lgCode: doc.destination.lgCode, address: destAddress },
    plannedMoveOutDate: doc.plannedMoveDate,
    plannedVisitDate: doc.plannedVisitDate,
    persons: await certificatePeople(trx, matched.ids, deps, doc.plannedMoveDate),
  };
  const envelope = newEnvelope(
    {
      kind: "moveOutCertificate",
      from: lgCode,
      to: doc.destination.lgCode,
      applicationId: doc.applicationId,
      orderingKey: doc.applicationId,
      sequence: 1,
      body,
    },
    deps.now,
  );
  const certificateMessageId = await writeOutboundMessage(trx, envelope, deps.sign);
  await insertMoveCase(trx, {
    lgCode,
    applicationId: doc.applicationId,
    role: "origin",
    counterpartLgCode: doc.destination.lgCode,
    residentIds: matched.ids,
    plannedMoveOutDate: doc.plannedMoveDate,
  });
  await tellPortal(trx, lgCode, doc.applicationId, "moveOutAccepted");
  return { kind: "accepted", residentIds: matched.ids, certificateMessageId };
}

/** What forwarding needs from the 住基ネット client: a four-item look-up as the destination's CS. */
export interface NetworkLookup {
  lookup(
    asLgCode: string,
    query: {
      by: "fourItems";
      name: string;
      kana: string;
      birthDate: string;
      sex: "male" | "female";
      address: string;
    },
  ): Promise<{ matches: { residentCode: string; lgCode: string }[] }>;
}

/**
 * The origin is not hosted (a stand-in municipality plays it): the hosted destination forwards the
 * application as a moveOutRequest (転出届の転送). The document has no sex, so each person is found
 * first by a four-item look-up at the network (both sexes tried) to send their 住民票コード.
 * The portal hears 転出受理 / 差戻し when the origin answers (inbound).
 */
export async function forwardToStandInOrigin(
  trx: Trx,
  doc: ApplicationDocument,
  deps: IntakeDeps,
  network: NetworkLookup,
): Promise<IntakeOutcome> {
  const from = doc.destination.lgCode;
  const destination = await loadMunicipality(trx, from);
  if (!destination?.hosted)
    return returnApplication(trx, doc.origin.lgCode, doc.applicationId, "destinationNotHosted");
  if (!onlineMoveOutWindowOpen(doc.plannedMoveDate, deps.today))
    return returnApplication(trx, doc.origin.lgCode, doc.applicationId, "outsideWindow");
  const persons = [];
  for (const m of doc.members) {
    const base = {
      name: `${m.familyName} ${m.givenName}`,
      kana: `${m.familyKana} ${m.givenKana}`,
      birthDate: m.birthDate,
    };
    let found: { residentCode: string; sex: "male" | "female" } | undefined;
    for (const sex of ["male", "female"] as const) {
      const answer = await network.lookup(from, {
        by: "fourItems",
        ...base,
        sex,
        address: doc.origin.addressLine,
      });
      const hit = answer.matches.filter((x) => x.lgCode === doc.origin.lgCode);
      if (hit.length === 1) {
        found = { residentCode: hit[0]!.residentCode, sex };
        break;
      }
    }
    if (!found) return returnApplication(trx, doc.origin.lgCode, doc.applicationId, "noRecordMatched");
    persons.push({ ...base, residentCode: found.residentCode, sex: found.sex });
  }
  const envelope = newEnvelope(
    {
      kind: "moveOutRequest",
      from,
      to: doc.origin.lgCode,
      applicationId: doc.applicationId,
      orderingKey: doc.applicationId,
      sequence: 1,
      body: {
        applicationId: doc.applicationId,
        ...(deps.receiptNumber ? { receiptNumber: deps.receiptNumber } : {}),
        origin: { address: doc.origin.addressLine },
        destination: { lgCode: from, address: destinationAddress(doc, destination) },
        plannedMoveOutDate: doc.plannedMoveDate,
        plannedVisitDate: doc.plannedVisitDate,
        persons,
      },
    },
    deps.now,
  );
  const requestMessageId = await writeOutboundMessage(trx, envelope, deps.sign);
  await insertMoveCase(trx, {
    lgCode: from,
    applicationId: doc.applicationId,
    role: "forwarder",
    counterpartLgCode: doc.origin.lgCode,
    residentIds: [],
    plannedMoveOutDate: doc.plannedMoveDate,
  });
  return { kind: "forwarded", requestMessageId };
}

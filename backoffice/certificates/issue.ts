/**
 * Issuing 住民票の写し and 除票の写し (issue 6 item 7) and verifying them afterwards.
 *
 * issueCertificate: authorize (clerk or supervisor of the record's own municipality) → validate
 * the request (schema.ts) → refuse a third party's request for anyone under a support measure
 * (支援措置) → one transaction that takes a certificate number, reads the 個人番号 when it is to be
 * printed (audited by readMyNumber), builds and renders the certificate, logs the issuance with its
 * fee and appends the audit row. Refusals are audited in a transaction of their own.
 */
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { appendAudit } from "../register/audit.js";
import { type Actor, authorizeOrAudit, type StaffRole } from "../register/authorization.js";
import { RegisterValidationError } from "../register/errors.js";
import { type MyNumberKeys, readMyNumber } from "../register/my-number.js";
import { HEAD, type ResidentRow, type ResidentState, rowToState } from "../register/record.js";
import { getResident, loadMunicipality } from "../register/records.queries.js";
import type { IsoDate } from "../register/time-rules.js";
import type { Municipality } from "../register/validation.js";
import {
  findIssuance,
  insertIssuance,
  livingHouseholdMembers,
  nextCertificateSerial,
  residentsUnderSupportMeasure,
} from "./certificates.queries.js";
import { certificateCode, verifyCertificateCode } from "./code.js";
import {
  buildCertificateDocument,
  type CertificateDocument,
  type CertificateForm,
  type CertificateItems,
  type CertificateKind,
  contentDigest,
  FORM_LABELS,
  fullName,
  ITEM_LABELS,
  KIND_LABELS,
} from "./document.js";
import type { CertificateFont } from "./font.js";
import { renderCertificatePdf } from "./render.js";
import {
  CERTIFICATE_FEE_YEN,
  type CertificateRequest,
  type CertificateRequestInput,
  certificateRequestSchema,
  REQUESTER_LABELS,
} from "./schema.js";

export interface CertificateContext {
  db: Kysely<BackofficeDatabase>;
  /** 個人番号 keys (to print the number when asked). */
  keys: MyNumberKeys;
  /** Key of the verification code (code.ts loadCertificateCodeKey). */
  codeKey: Buffer;
  actor: Actor;
  /** The business day: the date of issue. Nothing here reads the clock for dates. */
  today: IsoDate;
  /** Defaults to the process's certificate font (font.ts). */
  font?: CertificateFont;
}

export type CertificateRefusal = "notFound" | "supportMeasure";

/** The request is refused for a reason other than a field (those are RegisterValidationError). */
export class CertificateRefusedError extends Error {
  override name = "CertificateRefusedError";
  constructor(
    message: string,
    readonly reason: CertificateRefusal,
  ) {
    super(message);
  }
}

export interface IssuedCertificate {
  certificateNumber: string;
  verificationCode: string;
  kind: CertificateKind;
  form: CertificateForm;
  feeYen: number;
  memberIds: string[];
  pdf: Uint8Array;
  /** An ASCII file name for Content-Disposition, e.g. "juminhyo-131075-00000012.pdf". */
  fileName: string;
  /** The same in Japanese, for filename* (RFC 5987). */
  fileNameJa: string;
  document: CertificateDocument;
}

export interface IssueCertificateInput extends CertificateRequestInput {
  residentId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validationFields(issues: { path: (string | number)[]; message: string }[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const path = issue.path.join(".") || "(request)";
    if (!(path in fields)) fields[path] = issue.message;
  }
  return fields;
}

async function refuse(
  ctx: Pick<CertificateContext, "db" | "actor">,
  lgCode: string,
  residentId: string | null,
  detail: Record<string, unknown>,
): Promise<void> {
  await ctx.db.transaction().execute((trx) =>
    appendAudit(trx, {
      lgCode,
      actor: { staffId: ctx.actor.staffId, role: ctx.actor.roles.join(",") || "none" },
      action: "certificate.refused",
      subjectResidentId: residentId,
      detail,
    }),
  );
}

/** Head first, then the oldest, then by id: the order of a 世帯連記式 certificate. */
function printOrder(a: ResidentRow, b: ResidentRow): number {
  const head = Number(b.relationship === HEAD) - Number(a.relationship === HEAD);
  if (head !== 0) return head;
  if (a.birth_date !== b.birth_date) return a.birth_date < b.birth_date ? -1 : 1;
  return a.id < b.id ? -1 : 1;
}

interface PreparedRequest {
  subject: ResidentRow;
  members: ResidentRow[];
  head: ResidentRow | undefined;
  kind: CertificateKind;
  req: CertificateRequest;
  items: CertificateItems;
  role: StaffRole;
  lgCode: string;
  municipality: Municipality;
}

/**
 * Everything that can refuse a request, before anything is written: authorization, the request's
 * rules, who is printed, the support measure. Refusals are audited here.
 */
async function prepare(
  ctx: Pick<CertificateContext, "db" | "actor" | "today">,
  input: IssueCertificateInput,
): Promise<PreparedRequest> {
  const { db, actor } = ctx;
  const subject = UUID.test(input.residentId) ? await getResident(db, input.residentId) : undefined;
  if (!subject || subject.status === "none") {
    // Audited on the actor's own chain; the id may name nobody, so it is not recorded as a subject.
    await authorizeOrAudit(db, actor, "issueCertificate", actor.lgCode);
    await refuse(ctx, actor.lgCode, null, { reason: "notFound" });
    throw new CertificateRefusedError("指定された住民の記録がありません", "notFound");
  }
  const role = await authorizeOrAudit(db, actor, "issueCertificate", subject.lg_code);
  const lgCode = subject.lg_code;

  const parsed = certificateRequestSchema.safeParse(input);
  if (!parsed.success) {
    const fields = validationFields(parsed.error.issues);
    await refuse(ctx, lgCode, subject.id, { reason: "validation", fields: Object.keys(fields) });
    throw new RegisterValidationError(fields);
  }
  const req = parsed.data;
  const items: CertificateItems = req.items;
  const removed = subject.status === "removed";
  const kind: CertificateKind = removed ? "removedRecordCertificate" : "residentCertificate";

  // Who is printed.
  let members: ResidentRow[];
  let head: ResidentRow | undefined;
  if (removed) {
    const fields: Record<string, string> = {};
    if (req.form !== "individual")
      fields.form = "除票の写しは個人ごとに交付します（「世帯の一部」を選んでください）";
    if (req.memberIds.some((id) => id !== subject.id))
      fields.memberIds = "除票の写しには他の世帯員を記載できません";
    if (Object.keys(fields).length > 0) {
      await refuse(ctx, lgCode, subject.id, { reason: "validation", fields: Object.keys(fields) });
      throw new RegisterValidationError(fields);
    }
    members = [subject];
    head = undefined;
  } else {
    const living = await livingHouseholdMembers(db, subject.household_id);
    head = living.find((m) => m.relationship === HEAD);
    if (req.form === "household") {
      members = living;
    } else {
      const wanted = new Set([subject.id, ...req.memberIds]);
      members = living.filter((m) => wanted.has(m.id));
      if (members.length !== wanted.size) {
        await refuse(ctx, lgCode, subject.id, { reason: "validation", fields: ["memberIds"] });
        throw new RegisterValidationError({ memberIds: "同じ世帯に記載されている人だけを選んでください" });
      }
    }
    members.sort(printOrder);
  }
  const memberIds = members.map((m) => m.id);

  if (req.requester.kind === "thirdParty") {
    const protectedIds = await residentsUnderSupportMeasure(db, memberIds, ctx.today);
    if (protectedIds.length > 0) {
      await refuse(ctx, lgCode, subject.id, {
        reason: "supportMeasure",
        requesterKind: "thirdParty",
        protectedResidentIds: protectedIds,
      });
      throw new CertificateRefusedError(
        "支援措置の対象者が含まれるため、第三者からの請求には交付できません",
        "supportMeasure",
      );
    }
  }

  const municipality = await loadMunicipality(db, lgCode);
  if (!municipality) throw new Error(`municipality ${lgCode} is not in the register`);
  return { subject, members, head, kind, req, items, role, lgCode, municipality };
}

export interface CertificatePreview {
  kind: CertificateKind;
  kindLabel: string;
  formLabel: string;
  /** Names as printed, in print order. */
  members: { id: string; name: string; relationship: string }[];
  printedItems: string[];
  requesterLabel: string;
  feeYen: number;
}

/**
 * The confirmation step (確認画面): checks the request exactly as issueCertificate will, and says
 * what would be printed, without issuing or logging anything but refusals.
 */
export async function previewCertificate(
  ctx: Pick<CertificateContext, "db" | "actor" | "today">,
  input: IssueCertificateInput,
): Promise<CertificatePreview> {
  const p = await prepare(ctx, input);
  return {
    kind: p.kind,
    kindLabel: KIND_LABELS[p.kind],
    formLabel: FORM_LABELS[p.req.form],
    members: p.members.map((m) => ({
      id: m.id,
      name: fullName({ familyName: m.family_name, givenName: m.given_name }),
      relationship: m.relationship,
    })),
    printedItems: (Object.keys(ITEM_LABELS) as (keyof CertificateItems)[])
      .filter((k) => p.items[k])
      .map((k) => ITEM_LABELS[k]),
    requesterLabel: REQUESTER_LABELS[p.req.requester.kind],
    feeYen: CERTIFICATE_FEE_YEN,
  };
}

export async function issueCertificate(
  ctx: CertificateContext,
  input: IssueCertificateInput,
): Promise<IssuedCertificate> {
  const { db, actor } = ctx;
  const { subject, members, head, kind, req, items, role, lgCode, municipality } = await prepare(ctx, input);
  const memberIds = members.map((m) => m.id);

  return db.transaction().execute(async (trx) => {
    const serial = await nextCertificateSerial(trx);
    const certificateNumber = `${lgCode}-${String(serial).padStart(8, "0")}`;
    const persons: { state: ResidentState; myNumber?: string | null }[] = [];
    for (const m of members) {
      const myNumber = items.myNumber
        ? await readMyNumber(
            trx,
            {
              residentId: m.id,
              lgCode,
              actor,
              purpose: `${KIND_LABELS[kind]}の交付（個人番号の記載） ${certificateNumber}`,
            },
            ctx.keys,
          )
        : undefined;
      persons.push({ state: rowToState(m), myNumber });
    }
    const document = buildCertificateDocument({
      kind,
      form: req.form,
      municipality: { lgCode, prefecture: municipality.prefecture, name: municipality.name },
      issuedOn: ctx.today,
      certificateNumber,
      items,
      persons,
      head: items.householdHead && head ? rowToState(head) : null,
    });
    const digest = contentDigest(document);
    const verificationCode = certificateCode(ctx.codeKey, certificateNumber, digest);
    const pdf = await renderCertificatePdf(document, verificationCode, ctx.font);

    const requesterName = req.requester.kind === "thirdParty" ? (req.requester.name ?? null) : null;
    const reason = req.requester.reason || null;
    await insertIssuance(trx, {
      certificate_number: certificateNumber,
      lg_code: lgCode,
      kind,
      form: req.form,
      subject_resident_id: subject.id,
      member_ids: memberIds,
      items: JSON.stringify(items),
      requester_kind: req.requester.kind,
      requester_name: requesterName,
      reason,
      fee_yen: CERTIFICATE_FEE_YEN,
      staff_id: actor.staffId,
      staff_role: role,
      issued_on: ctx.today,
      content_digest: digest,
    });
    // Last statement: the audit chain's lock is held until commit.
    await appendAudit(trx, {
      lgCode,
      actor: { staffId: actor.staffId, role },
      action: "certificate.issued",
      subjectResidentId: subject.id,
      purpose: `${KIND_LABELS[kind]}の交付（${REQUESTER_LABELS[req.requester.kind]}からの請求）`,
      detail: {
        certificateNumber,
        kind,
        form: req.form,
        memberIds,
        items,
        requesterKind: req.requester.kind,
        feeYen: CERTIFICATE_FEE_YEN,
      },
    });
    const stem = kind === "removedRecordCertificate" ? "johyo" : "juminhyo";
    return {
      certificateNumber,
      verificationCode,
      kind,
      form: req.form,
      feeYen: CERTIFICATE_FEE_YEN,
      memberIds,
      pdf,
      fileName: `${stem}-${certificateNumber}.pdf`,
      fileNameJa: `${KIND_LABELS[kind]}-${certificateNumber}.pdf`,
      document,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Verification

export type VerificationResult =
  | {
      valid: true;
      certificateNumber: string;
      kindLabel: string;
      formLabel: string;
      issuedOn: IsoDate;
      municipalityName: string;
      memberCount: number;
      /** The person the certificate was requested for, by their current record's name. */
      subjectName: string;
      printedItems: string[];
    }
  | { valid: false; message: string };

const NUMBER = /^(\d{6})-(\d{8})$/;

/**
 * Is this the number and code of a certificate this municipality issued? Staff who may issue may
 * verify (their own municipality's certificates). Audited as `certificate.verified`.
 */
export async function verifyCertificate(
  ctx: Pick<CertificateContext, "db" | "actor" | "codeKey">,
  input: { certificateNumber: string; code: string },
): Promise<VerificationResult> {
  const { db, actor } = ctx;
  const role = await authorizeOrAudit(db, actor, "issueCertificate", actor.lgCode);
  const number = input.certificateNumber.normalize("NFKC").trim();
  const match = NUMBER.exec(number);
  const audit = (valid: boolean, subject: string | null) =>
    db.transaction().execute((trx) =>
      appendAudit(trx, {
        lgCode: actor.lgCode,
        actor: { staffId: actor.staffId, role },
        action: "certificate.verified",
        subjectResidentId: subject,
        detail: { certificateNumber: match ? number : "(malformed)", valid },
      }),
    );
  if (!match) {
    await audit(false, null);
    return { valid: false, message: "証明書番号の形式が正しくありません（例: 131075-00000012）" };
  }
  if (match[1] !== actor.lgCode) {
    await audit(false, null);
    return {
      valid: false,
      message: `この証明書番号は他の市区町村（${match[1]}）の発行です。発行した市区町村で確認してください`,
    };
  }
  const row = await findIssuance(db, number);
  const ok =
    row !== undefined &&
    verifyCertificateCode(ctx.codeKey, {
      certificateNumber: number,
      digest: row.content_digest,
      code: input.code,
    });
  await audit(ok, row?.subject_resident_id ?? null);
  if (!row || !ok) {
    return {
      valid: false,
      message:
        "この証明書番号と照合番号の組み合わせの証明書は発行されていません（偽造・改ざん、または入力誤りの可能性があります）",
    };
  }
  const subject = await getResident(db, row.subject_resident_id);
  const municipality = await loadMunicipality(db, row.lg_code);
  const items = row.items as Record<string, boolean>;
  return {
    valid: true,
    certificateNumber: row.certificate_number,
    kindLabel: KIND_LABELS[row.kind],
    formLabel: FORM_LABELS[row.form],
    issuedOn: row.issued_on,
    municipalityName: municipality ? `${municipality.prefecture}${municipality.name}` : row.lg_code,
    memberCount: row.member_ids.length,
    subjectName: subject ? fullName({ familyName: subject.family_name, givenName: subject.given_name }) : "",
    printedItems: (Object.keys(ITEM_LABELS) as (keyof CertificateItems)[])
      .filter((k) => items[k])
      .map((k) => ITEM_LABELS[k]),
  };
}

// ---------------------------------------------------------------------------------------------
// The request form's facts

export interface CertificateRequestView {
  residentId: string;
  name: string;
  kind: CertificateKind;
  kindLabel: string;
  /** Living members of the household (for 世帯の一部), the person first; empty for a 除票. */
  members: { id: string; name: string; relationship: string; isSubject: boolean }[];
  /** Someone who would be printed on a household copy is under a support measure (支援措置). */
  supportMeasure: boolean;
  hasForeigner: boolean;
  hasJapanese: boolean;
}

/**
 * What the certificate form shows for a record: who, which kind, the household's members. The
 * view is authorized as issueCertificate and audited as `record.view` (purpose: the request).
 * Null when there is no such record in the staff member's municipality.
 */
export async function certificateRequestView(
  ctx: Pick<CertificateContext, "db" | "actor" | "today">,
  residentId: string,
): Promise<CertificateRequestView | null> {
  const { db, actor } = ctx;
  const role = await authorizeOrAudit(db, actor, "issueCertificate", actor.lgCode);
  const subject = UUID.test(residentId) ? await getResident(db, residentId) : undefined;
  const visible =
    subject && subject.lg_code === actor.lgCode && subject.status !== "none" ? subject : undefined;
  await db.transaction().execute((trx) =>
    appendAudit(trx, {
      lgCode: actor.lgCode,
      actor: { staffId: actor.staffId, role },
      action: "record.view",
      subjectResidentId: visible?.id ?? null,
      purpose: "証明書（住民票の写し等）の交付請求の受付",
      detail: { found: Boolean(visible), includeRemoved: true, withMyNumber: false },
    }),
  );
  if (!visible) return null;
  const removed = visible.status === "removed";
  const kind: CertificateKind = removed ? "removedRecordCertificate" : "residentCertificate";
  const people = removed
    ? [visible]
    : (await livingHouseholdMembers(db, visible.household_id)).sort(printOrder);
  const protectedIds = await residentsUnderSupportMeasure(
    db,
    people.map((p) => p.id),
    ctx.today,
  );
  return {
    residentId: visible.id,
    name: fullName({ familyName: visible.family_name, givenName: visible.given_name }),
    kind,
    kindLabel: KIND_LABELS[kind],
    members: removed
      ? []
      : people.map((p) => ({
          id: p.id,
          name: fullName({ familyName: p.family_name, givenName: p.given_name }),
          relationship: p.relationship,
          isSubject: p.id === visible.id,
        })),
    supportMeasure: protectedIds.length > 0,
    hasForeigner: people.some((p) => p.nationality !== "JP"),
    hasJapanese: people.some((p) => p.nationality === "JP"),
  };
}

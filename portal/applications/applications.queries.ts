import type { Kysely, Transaction } from "kysely";
import type { PortalApplicationStatus, PortalDatabase } from "../../db/types/portal.js";
import type { ApplicationDocument } from "./document.js";

type Db = Kysely<PortalDatabase>;
type Trx = Transaction<PortalDatabase>;

export interface ApplicationRow {
  id: string;
  receiptNumber: string | null;
  holderSub: string;
  kind: "moveOut" | "relocation";
  originLgCode: string;
  destinationLgCode: string;
  document: ApplicationDocument;
  digest: string | null;
  signingRequestHash: string | null;
  status: PortalApplicationStatus;
  reasonCode: string | null;
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
}

/** Ids come from URLs: anything but a UUID is simply not found (and never reaches SQL as a uuid). */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

const columns = [
  "id",
  "receipt_number",
  "holder_sub",
  "kind",
  "origin_lg_code",
  "destination_lg_code",
  "application",
  "digest",
  "signing_request_hash",
  "status",
  "reason_code",
  "created_at",
  "updated_at",
  "submitted_at",
] as const;

// biome-ignore lint/suspicious/noExplicitAny: a row of the columns above
function toRow(r: any): ApplicationRow {
  return {
    id: r.id,
    receiptNumber: r.receipt_number,
    holderSub: r.holder_sub,
    kind: r.kind,
    originLgCode: r.origin_lg_code,
    destinationLgCode: r.destination_lg_code,
    document: r.application as ApplicationDocument,
    digest: r.digest,
    signingRequestHash: r.signing_request_hash,
    status: r.status,
    reasonCode: r.reason_code,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    submittedAt: r.submitted_at,
  };
}

/** Writes a draft (new, or replacing the holder's own draft with the same id) and its members. */
export async function upsertDraft(
  trx: Trx,
  holderSub: string,
  doc: ApplicationDocument,
  now: Date,
): Promise<void> {
  const existing = await trx
    .selectFrom("portal.application")
    .select(["holder_sub", "status"])
    .where("id", "=", doc.applicationId)
    .forUpdate()
    .executeTakeFirst();
  if (existing && (existing.holder_sub !== holderSub || existing.status !== "draft")) {
    throw new Error("not a draft of this holder");
  }
  const values = {
    kind: doc.kind,
    origin_lg_code: doc.origin.lgCode,
    destination_lg_code: doc.destination.lgCode,
    application: JSON.stringify(doc),
    digest: null,
    signing_request_hash: null,
    updated_at: now,
  };
  if (existing) {
    await trx.updateTable("portal.application").set(values).where("id", "=", doc.applicationId).execute();
    await trx
      .deleteFrom("portal.application_member")
      .where("application_id", "=", doc.applicationId)
      .execute();
  } else {
    await trx
      .insertInto("portal.application")
      .values({ id: doc.applicationId, holder_sub: holderSub, status: "draft", created_at: now, ...values })
      .execute();
  }
  await trx
    .insertInto("portal.application_member")
    .values(
      doc.members.map((m) => ({
        application_id: doc.applicationId,
        position: m.position,
        is_filer: m.isFiler,
        family_name: m.familyName,
        given_name: m.givenName,
        family_kana: m.familyKana,
        given_kana: m.givenKana,
        birth_date: m.birthDate,
        relationship: m.relationship,
        card_continued_use: m.cardContinuedUse,
      })),
    )
    .execute();
}

/** The holder's own application; someone else's id reads exactly like one that does not exist. */
export async function findApplication(
  db: Db | Trx,
  holderSub: string,
  id: string,
): Promise<ApplicationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const r = await db
    .selectFrom("portal.application")
    .select(columns)
    .where("id", "=", id)
    .where("holder_sub", "=", holderSub)
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

export async function lockApplication(
  trx: Trx,
  holderSub: string,
  id: string,
): Promise<ApplicationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const r = await trx
    .selectFrom("portal.application")
    .select(columns)
    .where("id", "=", id)
    .where("holder_sub", "=", holderSub)
    .forUpdate()
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

/** For the status processor: any holder's application, locked. */
export async function lockApplicationById(trx: Trx, id: string): Promise<ApplicationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const r = await trx
    .selectFrom("portal.application")
    .select(columns)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

export interface ApplicationSummary {
  id: string;
  receiptNumber: string | null;
  kind: "moveOut" | "relocation";
  destinationLgCode: string;
  status: PortalApplicationStatus;
  plannedMoveDate: string;
  createdAt: Date;
  submittedAt: Date | null;
}

export async function listApplications(db: Db, holderSub: string): Promise<ApplicationSummary[]> {
  const rows = await db
    .selectFrom("portal.application")
    .select([
      "id",
      "receipt_number",
      "kind",
      "destination_lg_code",
      "status",
      "application",
      "created_at",
      "submitted_at",
    ])
    .where("holder_sub", "=", holderSub)
    .orderBy("created_at", "desc")
    .limit(100)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    receiptNumber: r.receipt_number,
    kind: r.kind,
    destinationLgCode: r.destination_lg_code,
    status: r.status,
    plannedMoveDate: String((r.application as Record<string, unknown>).plannedMoveDate ?? ""),
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
  }));
}

export async function setSigning(
  db: Db,
  holderSub: string,
  id: string,
  digest: string,
  signingRequestHash: string,
): Promise<void> {
  await db
    .updateTable("portal.application")
    .set({ digest, signing_request_hash: signingRequestHash })
    .where("id", "=", id)
    .where("holder_sub", "=", holderSub)
    .where("status", "=", "draft")
    .execute();
}

export async function markSubmitted(
  trx: Trx,
  id: string,
  values: { receiptNumber: string; digest: string; signature: string; certificatePem: string; now: Date },
): Promise<void> {
  await trx
    .updateTable("portal.application")
    .set({
      receipt_number: values.receiptNumber,
      digest: values.digest,
      signature: values.signature,
      certificate_pem: values.certificatePem,
      signing_request_hash: null,
      status: "received",
      submitted_at: values.now,
      updated_at: values.now,
    })
    .where("id", "=", id)
    .where("status", "=", "draft")
    .execute();
}

export async function setStatus(
  trx: Trx,
  id: string,
  status: PortalApplicationStatus,
  reasonCode: string | null,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("portal.application")
    .set({ status, reason_code: reasonCode, updated_at: now })
    .where("id", "=", id)
    .execute();
}

export async function addHistory(
  trx: Trx,
  row: {
    applicationId: string;
    status: PortalApplicationStatus;
    reasonCode?: string | null;
    actor: "resident" | "backoffice";
    messageId?: string | null;
    now: Date;
  },
): Promise<void> {
  await trx
    .insertInto("portal.application_status_history")
    .values({
      application_id: row.applicationId,
      status: row.status,
      reason_code: row.reasonCode ?? null,
      actor: row.actor,
      message_id: row.messageId ?? null,
      created_at: row.now,
    })
    .execute();
}

export interface HistoryEntry {
  status: PortalApplicationStatus;
  reasonCode: string | null;
  actor: "resident" | "backoffice";
  at: Date;
}

export async function historyOf(db: Db, id: string): Promise<HistoryEntry[]> {
  const rows = await db
    .selectFrom("portal.application_status_history")
    .select(["status", "reason_code", "actor", "created_at"])
    .where("application_id", "=", id)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ status: r.status, reasonCode: r.reason_code, actor: r.actor, at: r.created_at }));
}

export async function deleteDraft(db: Db, holderSub: string, id: string): Promise<void> {
  await db
    .deleteFrom("portal.application")
    .where("id", "=", id)
    .where("holder_sub", "=", holderSub)
    .where("status", "=", "draft")
    .execute();
}

import { randomUUID, verify as verifySignature, X509Certificate } from "node:crypto";
import { enqueue } from "../../jobs/outbox.js";
import type { Session } from "../auth/session.server.js";
import type { PortalServices } from "../services.server.js";
import { sha256 } from "../services.server.js";
import { applicationDigest } from "../signing/canonical.js";
import { sealSignedApplication } from "../signing/seal.js";
import {
  type ApplicationRow,
  addHistory,
  findApplication,
  lockApplication,
  markSubmitted,
  setSigning,
  upsertDraft,
} from "./applications.queries.js";
import { type ApplicationDocument, buildDocument, signingDescription } from "./document.js";
import { type SigningBlock, signingBlock, signingBlockFromIdp } from "./eligibility.js";
import { holidaysFrom, isNationalHoliday } from "./holidays.server.js";
import { municipalityOfAddress } from "./municipalities.js";
import { newReceiptNumber } from "./receipt-number.js";
import type { ApplicationForm, ApplicationKind, RulesContext } from "./schema.js";
import { japanDate } from "./today.js";

/**
 * The portal's commands on applications. Each takes the services and the resident's session;
 * every query is scoped to the session's holder, so another resident's application id behaves
 * exactly like an id that does not exist.
 */

export function today(services: PortalServices): string {
  return japanDate(services.now());
}

/** What the form needs to check itself on both sides; undefined when the origin is unknown. */
export function rulesContext(
  services: PortalServices,
  session: Session,
  kind: ApplicationKind,
): RulesContext | undefined {
  const origin = municipalityOfAddress(session.claims.address ?? "");
  if (!origin) return undefined;
  return {
    kind,
    today: today(services),
    originLgCode: origin.lgCode,
    isHoliday: isNationalHoliday,
    hosted: services.hosted,
  };
}

/** The holidays the browser needs to check 来庁予定日 as the resident types (next ~2 months). */
export function browserHolidays(services: PortalServices): string[] {
  return holidaysFrom(today(services), 60);
}

export type Eligibility = { ok: true } | { ok: false; block: SigningBlock | "unknownOrigin" };

export function eligibility(services: PortalServices, session: Session): Eligibility {
  if (!municipalityOfAddress(session.claims.address ?? "")) return { ok: false, block: "unknownOrigin" };
  const block = signingBlock(session.claims, today(services));
  return block ? { ok: false, block } : { ok: true };
}

export async function saveDraft(
  services: PortalServices,
  session: Session,
  kind: ApplicationKind,
  ctx: RulesContext,
  form: ApplicationForm,
  draftId?: string,
): Promise<string> {
  const doc = buildDocument({
    applicationId: draftId ?? randomUUID(),
    kind,
    today: ctx.today,
    originLgCode: ctx.originLgCode,
    claims: session.claims,
    form,
  });
  await services.db.transaction().execute((trx) => upsertDraft(trx, session.holderSub, doc, services.now()));
  return doc.applicationId;
}

export function getApplication(
  services: PortalServices,
  session: Session,
  id: string,
): Promise<ApplicationRow | undefined> {
  return findApplication(services.db, session.holderSub, id);
}

export type StartSigningResult =
  | { kind: "redirect"; url: string }
  | { kind: "blocked"; block: SigningBlock | "unknownOrigin"; message?: string }
  | { kind: "notFound" };

/** 「署名して送信」: digest the draft and send the resident to the IdP to sign it with the PIN. */
export async function startSigning(
  services: PortalServices,
  session: Session,
  id: string,
): Promise<StartSigningResult> {
  const app = await findApplication(services.db, session.holderSub, id);
  if (app?.status !== "draft") return { kind: "notFound" };
  const allowed = eligibility(services, session);
  if (!allowed.ok) return { kind: "blocked", block: allowed.block };
  const digest = applicationDigest(app.document);
  const created = await services.cardIdp.createSigningRequest({
    sub: session.holderSub,
    digest,
    description: signingDescription(app.document),
    returnTo: `${services.env.PORTAL_PUBLIC_URL}/applications/${app.id}/signed`,
  });
  if (created.kind === "unavailable") {
    services.logger.info({ applicationId: app.id, reason: created.reason }, "signing unavailable");
    return {
      kind: "blocked",
      block: signingBlockFromIdp(created.reason),
      ...(created.message ? { message: created.message } : {}),
    };
  }
  await setSigning(services.db, session.holderSub, app.id, digest, sha256(created.requestId));
  return { kind: "redirect", url: created.signingUrl };
}

export type CompleteSigningResult =
  | { kind: "submitted"; receiptNumber: string }
  | { kind: "alreadySubmitted" }
  | { kind: "cancelled" }
  | { kind: "blocked"; block: SigningBlock }
  | { kind: "failed"; reason: string }
  | { kind: "notFound" };

/**
 * The resident is back from the IdP: fetch the signature, check it is this holder's signature
 * over this draft's digest, then in ONE transaction store it, give the 受付番号, record the
 * status and write the sealed intake job to the outbox (so a queue outage loses nothing).
 */
export async function completeSigning(
  services: PortalServices,
  session: Session,
  id: string,
  params: URLSearchParams,
): Promise<CompleteSigningResult> {
  const app = await findApplication(services.db, session.holderSub, id);
  if (!app) return { kind: "notFound" };
  if (app.status !== "draft") return { kind: "alreadySubmitted" };
  const requestId = params.get("request_id") ?? "";
  if (!requestId || !app.signingRequestHash || sha256(requestId) !== app.signingRequestHash || !app.digest) {
    return { kind: "failed", reason: "requestMismatch" };
  }
  const error = params.get("error");
  if (error === "access_denied") return { kind: "cancelled" };
  if (error) return { kind: "blocked", block: signingBlockFromIdp(params.get("reason") ?? undefined) };

  const result = await services.cardIdp.fetchSigningResult(requestId);
  if (result.status === "cancelled") return { kind: "cancelled" };
  if (result.status === "refused") return { kind: "blocked", block: signingBlockFromIdp(result.reason) };
  if (result.status !== "signed" || !result.signature || !result.certificate) {
    return { kind: "failed", reason: `status:${result.status}` };
  }
  if (result.sub !== session.holderSub || result.digest !== app.digest) {
    services.logger.warn({ applicationId: app.id }, "signing result does not belong to this draft");
    return { kind: "failed", reason: "resultMismatch" };
  }
  // The document must still be what was digested, and the signature must hold with the certificate.
  if (
    applicationDigest(app.document) !== app.digest ||
    !signatureHolds(app.digest, result.signature, result.certificate)
  ) {
    services.logger.warn({ applicationId: app.id }, "signature does not verify");
    return { kind: "failed", reason: "badSignature" };
  }
  const sealed = await sealSignedApplication(
    {
      application: app.document as unknown as Record<string, unknown>,
      digest: app.digest,
      signature: result.signature,
      signatureAlgorithm: result.signature_algorithm ?? "ECDSA-P256-SHA256",
      certificatePem: result.certificate,
      ...(result.chain ? { chainPem: result.chain } : {}),
      ...(result.signed_at ? { signedAt: result.signed_at } : {}),
    },
    services.intakePublicKey,
  );
  for (let attempt = 0; ; attempt++) {
    const receiptNumber = newReceiptNumber();
    try {
      const outcome = await services.db.transaction().execute(async (trx) => {
        const locked = await lockApplication(trx, session.holderSub, app.id);
        if (locked?.status !== "draft") return false;
        const now = services.now();
        await markSubmitted(trx, app.id, {
          receiptNumber,
          digest: app.digest!,
          signature: result.signature!,
          certificatePem: result.certificate!,
          now,
        });
        await addHistory(trx, { applicationId: app.id, status: "received", actor: "resident", now });
        await enqueue(trx, "portal", {
          queue: "intake",
          lgCode: app.originLgCode,
          data: { applicationId: app.id, kind: app.kind, sealed, receiptNumber },
        });
        return true;
      });
      if (!outcome) return { kind: "alreadySubmitted" };
      services.logger.info({ applicationId: app.id, kind: app.kind }, "application submitted");
      return { kind: "submitted", receiptNumber };
    } catch (err) {
      // A 受付番号 already given (one in 10^11): draw another.
      if (isUniqueViolation(err, "application_receipt_number_key") && attempt < 3) continue;
      throw err;
    }
  }
}

function signatureHolds(digest: string, signature: string, certificatePem: string): boolean {
  try {
    return verifySignature(
      "sha256",
      Buffer.from(digest, "base64url"),
      new X509Certificate(certificatePem).publicKey,
      Buffer.from(signature, "base64url"),
    );
  } catch {
    return false;
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === "23505" && e.constraint === constraint;
}

export { type CancelResult, cancelApplication } from "./cancel.server.js";
export type { ApplicationDocument };

// @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { verify as verifySignature, X509Certificate } from "node:crypto";
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate as PeculiarCertificate } from "@peculiar/x509";
import { applicationDigest } from "./canonical.js";

/**
 * Verification of a signed application, exported for the back office: the application must hash
 * to the digest the card signed, the signature must verify with the signing certificate, the
 * certificate must chain to the trusted JPKI root, be valid at `at` and not be revoked at `at`.
 * Pure apart from the injected revocation check (which may throw: the caller retries).
 */
export interface SignedApplicationInput {
  application: unknown;
  /** base64url SHA-256 the card signed. Without it a changed application is reported as badSignature. */
  digest?: string;
  /** base64url (or base64) DER ECDSA signature over the 32 digest bytes. */
  signature: string;
  certificatePem: string;
  /** Intermediates (and possibly the root) as sent by the signer; trust comes from trustedRootPem only. */
  chainPem?: string | string[];
}

export interface RevocationStatus {
  status: "good" | "revoked" | "unknown" | string;
  /** ISO timestamp; absent = revoked since issuance. */
  revokedAt?: string;
}

export interface VerifyOptions {
  trustedRootPem: string;
  checkRevocation: (serial: string) => Promise<RevocationStatus>;
  /** The moment the signature must have been valid (usually when the application was received). */
  at: Date;
}

export type VerificationFailure =
  | "tampered"
  | "badSignature"
  | "untrustedChain"
  | "notYetValid"
  | "expired"
  | "revoked";

export type VerificationResult =
  | { ok: true; serial: string; subject: string }
  | { ok: false; reason: VerificationFailure; detail: string };

const fail = (reason: VerificationFailure, detail: string): VerificationResult => ({
  ok: false,
  reason,
  detail,
});

export async function verifySignedApplication(
  input: SignedApplicationInput,
  options: VerifyOptions,
): Promise<VerificationResult> {
  // 1. The application is what was signed.
  const recomputed = applicationDigest(input.application);
  if (input.digest !== undefined && input.digest !== recomputed) {
    return fail("tampered", "the application does not hash to the signed digest");
  }

  // 2. The signature verifies with the certificate's key.
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(input.certificatePem);
  } catch {
    return fail("untrustedChain", "the signing certificate cannot be parsed");
  }
  let signatureOk = false;
  try {
    signatureOk = verifySignature(
      "sha256",
      Buffer.from(recomputed, "base64url"),
      cert.publicKey,
      Buffer.from(input.signature, "base64url"),
    );
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) return fail("badSignature", "the signature does not verify with the signing certificate");

  // 3. The certificate chains to the trusted root, and may sign.
  let root: X509Certificate;
  try {
    root = new X509Certificate(options.trustedRootPem);
  } catch {
    return fail("untrustedChain", "the trusted root cannot be parsed");
  }
  const chain = buildChain(cert, root, parseChain(input.chainPem));
  if (!chain) return fail("untrustedChain", "the certificate does not chain to the trusted root");
  for (const issuer of chain.slice(1)) {
    if (!withinValidity(issuer, options.at))
      return fail("untrustedChain", "a CA certificate is not valid at that time");
  }
  if (!maySign(input.certificatePem)) {
    return fail("untrustedChain", "the certificate is not for digital signatures");
  }

  // 4. Valid at that moment.
  if (options.at < new Date(cert.validFrom)) return fail("notYetValid", "the certificate was not yet valid");
  if (options.at > new Date(cert.validTo)) return fail("expired", "the certificate had expired");

  // 5. Not revoked at that moment.
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  const status = await options.checkRevocation(serial);
  if (status.status === "revoked") {
    const revokedAt = status.revokedAt ? new Date(status.revokedAt) : undefined;
    if (!revokedAt || Number.isNaN(revokedAt.getTime()) || revokedAt <= options.at) {
      return fail("revoked", "the certificate was revoked");
    }
  } else if (status.status !== "good") {
    return fail("untrustedChain", "the certificate authority does not know this certificate");
  }
  return { ok: true, serial, subject: cert.subject };
}

function parseChain(chainPem: string | string[] | undefined): X509Certificate[] {
  const texts = chainPem === undefined ? [] : Array.isArray(chainPem) ? chainPem : [chainPem];
  const certs: X509Certificate[] = [];
  for (const text of texts) {
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      try {
        certs.push(new X509Certificate(block));
      } catch {
        // An unparsable extra certificate cannot help build a path; ignore it.
      }
    }
  }
  return certs;
}

/** leaf → … → trusted root, each link verified; undefined when no such path exists. */
function buildChain(
  leaf: X509Certificate,
  root: X509Certificate,
  intermediates: X509Certificate[],
): X509Certificate[] | undefined {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 5; depth++) {
    if (current.checkIssued(root) && current.verify(root.publicKey)) return [...path, root];
    const next = intermediates.find(
      (c) =>
        c.ca &&
        c.fingerprint256 !== current.fingerprint256 &&
        current.checkIssued(c) &&
        current.verify(c.publicKey),
    );
    if (!next || path.some((p) => p.fingerprint256 === next.fingerprint256)) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}

function withinValidity(cert: X509Certificate, at: Date): boolean {
  return at >= new Date(cert.validFrom) && at <= new Date(cert.validTo);
}

function maySign(pem: string): boolean {
  try {
    const usage = new PeculiarCertificate(pem).getExtension(KeyUsagesExtension);
    if (!usage) return true;
    return (usage.usages & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) !== 0;
  } catch {
    return false;
  }
}

/**
 * The verification code (照合番号) printed on every certificate: an HMAC-SHA-256, under a key only
 * the back office holds, over the certificate number and the digest of the printed content
 * (document.ts contentDigest), cut to 80 bits and written as 16 Crockford base-32 characters in
 * four groups. The back office stores the digest with the issuance, so given a number and a code
 * it can tell whether that certificate was issued with that content; nobody without the key can
 * make a code that verifies. See docs/decisions/012-certificates.md.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ConfigError } from "../../lib/env.js";
import { devSecret } from "../../lib/secrets.js";

const CODE_PREFIX = "juki:certificate-code:v1";
const CODE_BYTES = 10;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const KEY_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Crockford base 32 of the bytes (5 bits a character; 10 bytes → 16 characters). */
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** "ABCD-EFGH-JKMN-PQRS" */
function grouped(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}

/**
 * What a person types, made comparable: no hyphens or spaces, upper case, and Crockford's
 * look-alikes (O → 0, I and L → 1). Full-width characters are folded first (NFKC).
 */
export function normalizeCode(input: string): string {
  return input
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s\-‐－ー]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
}

export function certificateCode(key: Buffer, certificateNumber: string, digest: Buffer): string {
  const mac = createHmac("sha256", key)
    .update(`${CODE_PREFIX}\n${certificateNumber}\n${digest.toString("hex")}`, "utf8")
    .digest();
  return grouped(base32(mac.subarray(0, CODE_BYTES)));
}

/** True when `code` is the code of this certificate number and content digest (constant time). */
export function verifyCertificateCode(
  key: Buffer,
  args: { certificateNumber: string; digest: Buffer; code: string },
): boolean {
  const expected = Buffer.from(normalizeCode(certificateCode(key, args.certificateNumber, args.digest)));
  const given = Buffer.from(normalizeCode(args.code));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The key: CERTIFICATE_CODE_KEY (32 bytes, base64 or base64url) in production, else a development
 * key generated once into DATA_DIR/secrets. A bad value is reported naming the variable only.
 */
export function loadCertificateCodeKey(env: {
  DATA_DIR: string;
  CERTIFICATE_CODE_KEY?: string | undefined;
}): Buffer {
  const text = (env.CERTIFICATE_CODE_KEY || devSecret(env.DATA_DIR, "certificate-code-key")).trim();
  const bytes = KEY_TEXT.test(text) ? Buffer.from(text, "base64") : undefined;
  if (bytes?.length !== 32) {
    throw new ConfigError([
      "CERTIFICATE_CODE_KEY: 32 バイトの鍵を base64 または base64url で指定してください / must be a 32-byte key in base64 or base64url",
    ]);
  }
  return bytes;
}

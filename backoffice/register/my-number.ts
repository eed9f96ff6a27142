import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { ConfigError } from "../../lib/env.js";
import { devSecret } from "../../lib/secrets.js";
import { type AuditActor, appendAudit } from "./audit.js";
import type { Actor } from "./authorization.js";
import { isValidMyNumber } from "./identifiers.js";

/**
 * 個人番号 (特定個人情報) at rest: encrypted with AES-256-GCM, found through an HMAC-SHA-256 blind
 * index under a second, separate key, and never put in a message, log line or error. Every
 * decryption for a person goes through `readMyNumber`, which writes the audit row in the same
 * transaction, so a read that is not logged cannot commit.
 */

export interface MyNumberKeys {
  encryptionKey: Buffer;
  indexKey: Buffer;
}

/** Thrown for bad input or a bad cipher; its message never contains the number. */
export class MyNumberError extends Error {
  override name = "MyNumberError";
}

/** Layout of a sealed value: version (1) | IV (12) | GCM tag (16) | ciphertext (12 for 12 digits). */
const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const KEY_BYTES = 32;
/**
 * Additional authenticated data: binds the cipher to its purpose, so a value sealed by another
 * part of the system with the same key (it must not happen, but keys get reused) does not open here.
 */
const AAD = Buffer.from("juki:my-number:v1", "utf8");
/** Domain separation for the blind index, for the same reason. */
const INDEX_PREFIX = "juki:my-number-index:v1:";

const INVALID_NUMBER = "個人番号の桁数またはチェックデジットが正しくありません";

function assertKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new MyNumberError(`${what} は 32 バイトの鍵でなければなりません`);
  }
}

export function sealMyNumber(myNumber: string, keys: MyNumberKeys): { cipher: Buffer; index: Buffer } {
  if (!isValidMyNumber(myNumber)) throw new MyNumberError(INVALID_NUMBER);
  assertKey(keys.encryptionKey, "encryptionKey");
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv("aes-256-gcm", keys.encryptionKey, iv, { authTagLength: TAG_BYTES });
  c.setAAD(AAD);
  const body = Buffer.concat([c.update(myNumber, "utf8"), c.final()]);
  const tag = c.getAuthTag();
  return {
    cipher: Buffer.concat([Buffer.from([VERSION]), iv, tag, body]),
    index: myNumberIndex(myNumber, keys),
  };
}

export function openMyNumber(cipher: Buffer, keys: MyNumberKeys): string {
  assertKey(keys.encryptionKey, "encryptionKey");
  if (!Buffer.isBuffer(cipher) || cipher.length <= HEADER_BYTES) {
    throw new MyNumberError("個人番号の暗号文の長さが正しくありません");
  }
  if (cipher[0] !== VERSION) {
    throw new MyNumberError(`個人番号の暗号文の版 (${cipher[0]}) に対応していません`);
  }
  const iv = cipher.subarray(1, 1 + IV_BYTES);
  const tag = cipher.subarray(1 + IV_BYTES, HEADER_BYTES);
  const body = cipher.subarray(HEADER_BYTES);
  let plain: string;
  try {
    const d = createDecipheriv("aes-256-gcm", keys.encryptionKey, iv, { authTagLength: TAG_BYTES });
    d.setAAD(AAD);
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(body), d.final()]).toString("utf8");
  } catch {
    throw new MyNumberError("個人番号の暗号文を復号できません（改ざん、または鍵の不一致）");
  }
  if (!isValidMyNumber(plain))
    throw new MyNumberError("復号した個人番号のチェックデジットが正しくありません");
  return plain;
}

/** Blind index: deterministic under one index key, unrelated across keys; 32 bytes. */
export function myNumberIndex(myNumber: string, keys: MyNumberKeys): Buffer {
  if (!isValidMyNumber(myNumber)) throw new MyNumberError(INVALID_NUMBER);
  assertKey(keys.indexKey, "indexKey");
  return createHmac("sha256", keys.indexKey)
    .update(INDEX_PREFIX + myNumber, "utf8")
    .digest();
}

const KEY_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;

function decodeKey(variable: string, value: string, lines: string[]): Buffer | undefined {
  const text = value.trim();
  // Node's base64 decoder accepts both alphabets (+/ and -_) and skips anything else silently,
  // so the alphabet is checked first: a typo must not shrink or change the key unnoticed.
  const bytes = KEY_TEXT.test(text) ? Buffer.from(text, "base64") : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) {
    lines.push(
      `${variable}: 32 バイトの鍵を base64 または base64url で指定してください / must be a 32-byte key in base64 or base64url` +
        (bytes ? ` (got ${bytes.length} bytes)` : " (not base64)"),
    );
    return undefined;
  }
  return bytes;
}

/**
 * Keys from the environment (production), else the development keys generated once into
 * DATA_DIR/secrets. Every problem is reported at once, naming the variable, never its value.
 */
export function loadMyNumberKeys(env: {
  DATA_DIR: string;
  MY_NUMBER_ENCRYPTION_KEY?: string | undefined;
  MY_NUMBER_INDEX_KEY?: string | undefined;
}): MyNumberKeys {
  const lines: string[] = [];
  const enc = decodeKey(
    "MY_NUMBER_ENCRYPTION_KEY",
    env.MY_NUMBER_ENCRYPTION_KEY || devSecret(env.DATA_DIR, "my-number-encryption-key"),
    lines,
  );
  const idx = decodeKey(
    "MY_NUMBER_INDEX_KEY",
    env.MY_NUMBER_INDEX_KEY || devSecret(env.DATA_DIR, "my-number-index-key"),
    lines,
  );
  if (enc && idx && timingSafeEqual(enc, idx)) {
    lines.push(
      "MY_NUMBER_INDEX_KEY: MY_NUMBER_ENCRYPTION_KEY と別の鍵にしてください / must differ from MY_NUMBER_ENCRYPTION_KEY",
    );
  }
  if (lines.length > 0 || !enc || !idx) throw new ConfigError(lines);
  return { encryptionKey: enc, indexKey: idx };
}

export interface ReadMyNumberRequest {
  residentId: string;
  lgCode: string;
  /** Staff (as authorized by the caller) or a system process such as the 住基ネット identity-info builder. */
  actor: Actor | AuditActor;
  /** Why the number is read (利用目的); required, recorded in the audit row. */
  purpose: string;
}

/**
 * The only way to read a resident's 個人番号: decrypts `register.resident.my_number_cipher` and
 * appends the audit row (action `myNumber.read`) in the caller's transaction, so the read and
 * its record commit together or not at all. Returns null when the resident has no number.
 */
export async function readMyNumber(
  trx: Transaction<BackofficeDatabase>,
  req: ReadMyNumberRequest,
  keys: MyNumberKeys,
): Promise<string | null> {
  if (!req.purpose?.trim()) throw new MyNumberError("個人番号を参照する目的（purpose）を指定してください");
  const found = await sql<{ my_number_cipher: Buffer | null }>`
    select my_number_cipher from register.resident
    where id = ${req.residentId} and lg_code = ${req.lgCode}`.execute(trx);
  const row = found.rows[0];
  if (!row) throw new MyNumberError("指定された住民の記録がありません");
  await appendAudit(trx, {
    lgCode: req.lgCode,
    actor: toAuditActor(req.actor),
    action: "myNumber.read",
    subjectResidentId: req.residentId,
    purpose: req.purpose,
    detail: { present: row.my_number_cipher !== null },
  });
  return row.my_number_cipher === null ? null : openMyNumber(row.my_number_cipher, keys);
}

/** The audit form of an actor: staff with the roles they hold, or a named system process. */
export function toAuditActor(actor: Actor | AuditActor): AuditActor {
  if ("roles" in actor) return { staffId: actor.staffId, role: actor.roles.join(",") };
  return actor;
}

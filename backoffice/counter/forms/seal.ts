import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { MyNumberKeys } from "../../register/my-number.js";

/**
 * The approver's summary of a counter request holds personal values (a corrected name, an
 * address): sealed with AES-256-GCM under a key derived (HKDF) from the 個人番号 encryption key,
 * bound to the approval id.
 */

export interface SummaryRow {
  label: string;
  value: string;
}

const INFO = "juki:counter-request-summary:v1";

function key(keys: MyNumberKeys): Buffer {
  return Buffer.from(hkdfSync("sha256", keys.encryptionKey, Buffer.alloc(0), INFO, 32));
}

function aad(approvalId: string): Buffer {
  return Buffer.from(`${INFO}:${approvalId}`, "utf8");
}

export function sealSummary(rows: SummaryRow[], keys: MyNumberKeys, approvalId: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key(keys), iv);
  c.setAAD(aad(approvalId));
  const body = Buffer.concat([c.update(JSON.stringify(rows), "utf8"), c.final()]);
  return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
}

/** Null when the summary cannot be opened (another key, tampering): the page says so. */
export function openSummary(cipher: Buffer, keys: MyNumberKeys, approvalId: string): SummaryRow[] | null {
  try {
    if (cipher[0] !== 1) return null;
    const d = createDecipheriv("aes-256-gcm", key(keys), cipher.subarray(1, 13));
    d.setAAD(aad(approvalId));
    d.setAuthTag(cipher.subarray(13, 29));
    return JSON.parse(
      Buffer.concat([d.update(cipher.subarray(29)), d.final()]).toString("utf8"),
    ) as SummaryRow[];
  } catch {
    return null;
  }
}

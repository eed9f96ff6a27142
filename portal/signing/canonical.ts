import { createHash } from "node:crypto";

/**
 * Canonical JSON (RFC 8785, JCS, for the values an application holds): object keys sorted by
 * UTF-16 code units, no white space, strings and numbers as ECMAScript serialises them. The
 * same application always gives the same bytes, so the digest the card signs can be recomputed
 * by anyone who holds the application, whatever order its keys were stored in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonicalJson: numbers must be finite");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/** SHA-256 of the canonical form, base64url without padding (the card IdP's `digest`). */
export function applicationDigest(application: unknown): string {
  return createHash("sha256").update(canonicalJson(application), "utf8").digest("base64url");
}

/** The digest as the resident sees it on both sides (hex, in groups of four). */
export function digestForDisplay(digest: string): string {
  return (
    Buffer.from(digest, "base64url")
      .toString("hex")
      .match(/.{1,4}/g) ?? []
  ).join(" ");
}

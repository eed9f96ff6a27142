/** The card realm's claims the portal uses (docs/contracts/card-idp.md, v1). */
export interface CardClaims {
  /** "墨田 太郎": family name, one ASCII space, given name. */
  name?: string;
  name_kana?: string;
  /** The address line as printed on the card. */
  address?: string;
  birthdate?: string;
  gender?: string;
  sign_cert_status?: "valid" | "expired" | "revoked" | "locked" | "none";
  sign_cert_expires_on?: string;
}

/** "墨田 太郎" → family and given name (split at the first space; the whole as family otherwise). */
export function splitName(full: string | undefined): { family: string; given: string } {
  const text = (full ?? "").trim();
  const i = text.search(/[ \u3000]/);
  return i < 0 ? { family: text, given: "" } : { family: text.slice(0, i), given: text.slice(i + 1).trim() };
}

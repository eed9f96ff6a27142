import { canSignOnline, daysBetween, isIsoDate } from "../../backoffice/register/time-rules.js";
import type { CardClaims } from "../auth/claims.js";

/**
 * Can this holder file online? The online 転出届 / 転居予約 is signed with the card's 署名用電子証明書
 * (DOMAIN.md): none from under 15, none when expired, revoked or locked. The claims at login
 * say so early; the IdP's signing API is still the authority and may refuse later, with the same
 * reasons (docs/contracts/card-idp.md).
 */
export type SigningBlock =
  | "under15"
  | "noSignCert"
  | "certExpired"
  | "certRevoked"
  | "certLocked"
  | "cardSuspended"
  | "cardRevoked"
  | "cardExpired"
  | "unknown";

export function signingBlock(claims: CardClaims, today: string): SigningBlock | undefined {
  if (claims.birthdate && isIsoDate(claims.birthdate) && daysBetween(claims.birthdate, today) >= 0) {
    if (!canSignOnline(claims.birthdate, today)) return "under15";
  }
  switch (claims.sign_cert_status) {
    case "valid":
      if (claims.sign_cert_expires_on && isIsoDate(claims.sign_cert_expires_on)) {
        if (daysBetween(claims.sign_cert_expires_on, today) > 0) return "certExpired";
      }
      return undefined;
    case "expired":
      return "certExpired";
    case "revoked":
      return "certRevoked";
    case "locked":
      return "certLocked";
    case "none":
      return "noSignCert";
    default:
      // A provider that does not say: let the signing API decide.
      return undefined;
  }
}

/** The IdP's refusal codes (contract v1) in the portal's terms. */
export function signingBlockFromIdp(reason: string | undefined): SigningBlock {
  switch (reason) {
    case "no_sign_cert":
      return "noSignCert";
    case "cert_expired":
      return "certExpired";
    case "cert_revoked":
      return "certRevoked";
    case "cert_locked":
      return "certLocked";
    case "card_suspended":
      return "cardSuspended";
    case "card_revoked":
      return "cardRevoked";
    case "card_expired":
      return "cardExpired";
    default:
      return "unknown";
  }
}

import { createHmac } from "node:crypto";
import { canSignOnline } from "../../backoffice/register/time-rules.js";
import type { World, WorldPerson } from "../../lib/world.js";
import type { CardIdpState } from "./state.js";

/**
 * The card holders of the world file, and the rules that decide whether a card or one of its
 * certificates may be used today. Pure apart from the state passed in (PIN locks, revocations).
 */

export type WorldCard = NonNullable<WorldPerson["card"]>;

export interface Holder {
  /** The OIDC subject: keyed hash of the person id (never the 個人番号 or the card number). */
  sub: string;
  person: WorldPerson;
  card: WorldCard;
}

export type RefusalReason =
  | "card_suspended"
  | "card_revoked"
  | "card_expired"
  | "cert_expired"
  | "cert_revoked"
  | "cert_locked"
  | "no_sign_cert";

/** What the resident reads (Japanese first), per reason. */
export const refusalMessages: Record<RefusalReason, string> = {
  card_suspended:
    "このマイナンバーカードは一時停止されています。カードを利用するには、お住まいの市区町村の窓口で一時停止の解除を申請してください。",
  card_revoked: "このマイナンバーカードは廃止されているため、利用できません。",
  card_expired:
    "このマイナンバーカードは有効期限が切れています。お住まいの市区町村の窓口でカードの更新を申請してください。",
  cert_expired:
    "電子証明書の有効期限が切れています。お住まいの市区町村の窓口で電子証明書の更新を申請してください。",
  cert_revoked:
    "電子証明書は失効しています（住所の変更などで失効します）。お住まいの市区町村の窓口で電子証明書の再発行を申請してください。",
  cert_locked:
    "暗証番号が連続して誤って入力されたため、電子証明書がロックされています。お住まいの市区町村の窓口で暗証番号の初期化をしてください。",
  no_sign_cert:
    "このカードには署名用電子証明書がありません（15歳未満の方には発行されません）。オンラインでは手続きできません。窓口で届け出てください。",
};

export type CertKind = "auth" | "sign";

/** Three wrong 利用者証明用 PINs lock the certificate; five for the 署名用 password. */
export const MAX_PIN_TRIES: Record<CertKind, number> = { auth: 3, sign: 5 };

export function subjectFor(subKey: string, personId: string): string {
  return createHmac("sha256", subKey).update(`card-holder:${personId}`).digest("base64url");
}

export function buildHolders(world: World, subKey: string): Holder[] {
  const holders: Holder[] = [];
  for (const person of world.people) {
    if (person.card) holders.push({ sub: subjectFor(subKey, person.id), person, card: person.card });
  }
  return holders;
}

/** Today's date in Japan (the cards' dates are Japanese calendar dates). */
export function tokyoDate(now: Date): string {
  return new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

export interface CertificateRecord {
  serial: string;
  kind: CertKind;
  expiresOn: string;
  holder: Holder;
}

/** Every certificate of the world file by serial (auth and sign). */
export function certificatesBySerial(holders: Holder[]): Map<string, CertificateRecord> {
  const map = new Map<string, CertificateRecord>();
  for (const holder of holders) {
    const { authCert, signCert } = holder.card;
    map.set(authCert.serial, {
      serial: authCert.serial,
      kind: "auth",
      expiresOn: authCert.expiresOn,
      holder,
    });
    if (signCert)
      map.set(signCert.serial, {
        serial: signCert.serial,
        kind: "sign",
        expiresOn: signCert.expiresOn,
        holder,
      });
  }
  return map;
}

export interface RevocationInfo {
  revoked: boolean;
  revokedAt?: string;
  reason?: string;
}

/** Revocation as the CA sees it: the world file's status, the card's, then revocations since. */
export function revocationOf(record: CertificateRecord, state: CardIdpState): RevocationInfo {
  const later = state.revocations[record.serial];
  if (later) return { revoked: true, revokedAt: later.revokedAt, reason: later.reason };
  const cert = record.kind === "auth" ? record.holder.card.authCert : record.holder.card.signCert;
  if (cert && cert.status === "revoked") return { revoked: true, reason: "unspecified" };
  if (record.holder.card.status === "revoked") return { revoked: true, reason: "cardRevoked" };
  return { revoked: false };
}

export function isExpired(expiresOn: string, today: string): boolean {
  return expiresOn < today;
}

/** Why the card itself cannot be used today, or null. */
export function cardRefusal(holder: Holder, today: string): RefusalReason | null {
  if (holder.card.status === "revoked") return "card_revoked";
  if (holder.card.status === "suspended") return "card_suspended";
  if (isExpired(holder.card.expiresOn, today)) return "card_expired";
  return null;
}

/** Why a certificate of the card cannot be used today (card first), or null. */
export function certificateRefusal(
  holder: Holder,
  kind: CertKind,
  state: CardIdpState,
  today: string,
): RefusalReason | null {
  const card = cardRefusal(holder, today);
  if (card) return card;
  const cert = kind === "auth" ? holder.card.authCert : holder.card.signCert;
  if (!cert) return "no_sign_cert";
  if (kind === "sign" && !canSignOnline(holder.person.birthDate, today)) return "no_sign_cert";
  const record: CertificateRecord = { serial: cert.serial, kind, expiresOn: cert.expiresOn, holder };
  if (revocationOf(record, state).revoked) return "cert_revoked";
  if (cert.status === "expired" || isExpired(cert.expiresOn, today)) return "cert_expired";
  if (state.pins[cert.serial]?.locked) return "cert_locked";
  return null;
}

/** The `sign_cert_status` claim. */
export function signCertStatus(
  holder: Holder,
  state: CardIdpState,
  today: string,
): "valid" | "expired" | "revoked" | "locked" | "none" {
  const reason = certificateRefusal(holder, "sign", state, today);
  switch (reason) {
    case null:
      return "valid";
    case "no_sign_cert":
      return "none";
    case "cert_expired":
    case "card_expired":
      return "expired";
    case "cert_locked":
      return "locked";
    default:
      return "revoked";
  }
}

export function fullName(person: WorldPerson): string {
  return `${person.name.family} ${person.name.given}`;
}

export function fullNameKana(person: WorldPerson): string {
  return `${person.name.familyKana} ${person.name.givenKana}`;
}

export function lastFour(cardNumber: string): string {
  return cardNumber.slice(-4);
}

import { randomUUID } from "node:crypto";
import { importJWK, SignJWT } from "jose";

/**
 * The back office's side of the counter terminal (card reader + PIN pad) of the card IdP
 * stand-in (docs/contracts/card-idp.md, "Counter terminal"). Every call is authenticated with
 * the back office's client assertion (the key it also uses for staff login). A PIN goes in the
 * request body only; nothing here logs, and no error message carries a PIN, a name or a number.
 */

export const CARD_TERMINAL_CLIENT_ID = "juki-backoffice";

export type CardRefusalReason =
  | "card_suspended"
  | "card_revoked"
  | "card_expired"
  | "cert_expired"
  | "cert_revoked"
  | "cert_locked"
  | "no_sign_cert"
  | "sign_cert_valid";

export interface CardListItem {
  cardId: string;
  name: string;
  nameKana: string;
  lastFour: string;
}

export interface CardHolderInfo {
  name: { family: string; given: string; familyKana: string; givenKana: string };
  birthDate: string;
  sex: "male" | "female";
  /** The address line printed on the card. */
  address: string;
}

export interface CardSummary {
  cardId: string;
  cardNumber: string;
  lastFour: string;
  status: "active" | "suspended" | "revoked";
  expiresOn: string;
  usable: boolean;
  refusal: CardRefusalReason | null;
  authCert: { status: string };
  signCert: { status: "valid" | "expired" | "revoked" | "locked" | "none"; expiresOn?: string };
}

export interface CardReading {
  verified: boolean;
  card: CardSummary;
  holder: CardHolderInfo;
}

export type VerifyOutcome =
  | ({ kind: "verified" } & CardReading)
  | { kind: "pinMismatch"; triesLeft: number; message: string }
  | { kind: "refused"; reason: CardRefusalReason; message: string }
  | { kind: "badPin"; message: string }
  | { kind: "unknownCard" };

export type ReissueOutcome =
  | { kind: "issued"; serial: string; expiresOn: string; repeated: boolean }
  | { kind: "refused"; reason: CardRefusalReason; message: string }
  | { kind: "badPin"; message: string }
  | { kind: "unknownCard" };

/** The terminal did not answer, or answered 5xx / 401: nothing was done that a retry can't repeat. */
export class CardTerminalUnavailableError extends Error {
  override name = "CardTerminalUnavailableError";
  constructor(readonly status?: number) {
    super(
      status
        ? `カード読取端末（認証サービス）がエラーを返しました（${status}）。しばらくしてからやり直してください`
        : "カード読取端末（認証サービス）に接続できません。しばらくしてからやり直してください",
    );
  }
}

export interface CardTerminal {
  cards(): Promise<CardListItem[]>;
  read(cardId: string): Promise<CardReading | null>;
  verify(cardId: string, pin: string): Promise<VerifyOutcome>;
  reissueSignCert(input: {
    requestId: string;
    cardId: string;
    newPin: string;
    address: { line: string; prefecture?: string; city?: string };
    /** The name as the register has it now: the new certificate carries it. */
    name?: { family: string; given: string };
  }): Promise<ReissueOutcome>;
}

export interface CardTerminalOptions {
  /** The card IdP's public base URL (without realm), e.g. http://127.0.0.1:4000. */
  baseUrl: string;
  /** The back office's private client key (ES256 JWK with kid). */
  privateJwk: JsonWebKey & { kid?: string };
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const defaultCardIdpUrl = (env: Record<string, string | undefined> = process.env) =>
  (env.CARD_IDP_URL ?? `http://127.0.0.1:${Number(env.MOCKS_PORT ?? 4000)}`).replace(/\/$/, "");

// biome-ignore lint/suspicious/noExplicitAny: answers are checked where they are used
type Json = any;

export function cardTerminal(o: CardTerminalOptions): CardTerminal {
  const base = `${o.baseUrl.replace(/\/$/, "")}/card-terminal`;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const doFetch = o.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let key: Promise<CryptoKey | Uint8Array> | undefined;

  const assertion = async (): Promise<string> => {
    key ??= importJWK(o.privateJwk, "ES256");
    return new SignJWT({})
      .setProtectedHeader({ alg: "ES256", ...(o.privateJwk.kid ? { kid: o.privateJwk.kid } : {}) })
      .setIssuer(CARD_TERMINAL_CLIENT_ID)
      .setSubject(CARD_TERMINAL_CLIENT_ID)
      .setAudience(base)
      .setIssuedAt()
      .setExpirationTime("60s")
      .setJti(randomUUID())
      .sign(await key);
  };

  const call = async (
    path: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; json: Json }> => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: await assertion(),
          ...body,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new CardTerminalUnavailableError();
    }
    let json: Json;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    if (res.status >= 500 || res.status === 401) throw new CardTerminalUnavailableError(res.status);
    return { status: res.status, json };
  };

  const badRequest = (json: Json) =>
    String(json?.error_description ?? "入力に誤りがあります").replace(/^[a-zA-Z.]+: /, "");

  return {
    async cards() {
      const { status, json } = await call("/cards", {});
      if (status !== 200) throw new CardTerminalUnavailableError(status);
      return json.cards as CardListItem[];
    },
    async read(cardId) {
      const { status, json } = await call("/read", { cardId });
      if (status === 404 || status === 400) return null;
      if (status !== 200) throw new CardTerminalUnavailableError(status);
      return json as CardReading;
    },
    async verify(cardId, pin) {
      const { status, json } = await call("/verify", { cardId, pin });
      if (status === 200) return { kind: "verified", ...(json as CardReading) };
      if (status === 404) return { kind: "unknownCard" };
      if (status === 400) return { kind: "badPin", message: badRequest(json) };
      if (status === 409 && json?.error === "pin_mismatch")
        return { kind: "pinMismatch", triesLeft: Number(json.triesLeft), message: String(json.message) };
      if (status === 409) return { kind: "refused", reason: json.reason, message: String(json.message) };
      throw new CardTerminalUnavailableError(status);
    },
    async reissueSignCert(input) {
      const { status, json } = await call("/sign-cert/reissue", { ...input });
      if (status === 201)
        return {
          kind: "issued",
          serial: String(json.serial),
          expiresOn: String(json.expiresOn),
          repeated: json.repeated === true,
        };
      if (status === 404) return { kind: "unknownCard" };
      if (status === 400) return { kind: "badPin", message: badRequest(json) };
      if (status === 409) return { kind: "refused", reason: json.reason, message: String(json.message) };
      throw new CardTerminalUnavailableError(status);
    },
  };
}

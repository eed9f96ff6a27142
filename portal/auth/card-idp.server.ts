import type { JWK } from "jose";
import type * as oidc from "openid-client";
import type { Logger } from "../../lib/logger.js";
import { OidcRelyingParty, type PendingLogin } from "../../lib/oidc-rp.js";
import type { CardClaims } from "./claims.js";

export type { CardClaims };

/**
 * The portal's side of the card IdP (docs/contracts/card-idp.md): OpenID Connect login with
 * openid-client (authorization code, PKCE S256, state, nonce, private_key_jwt, and the ID token's
 * signature checked too), RP-initiated logout, and the signing API. The issuer, client id and
 * key come from configuration, so the same code can talk to the real デジタル認証アプリ.
 */

export const CARD_SCOPES = "openid name address birthdate gender sign";

export { isLoginError, LoginError, type LoginErrorCode, type PendingLogin } from "../../lib/oidc-rp.js";

export interface CardLogin {
  sub: string;
  claims: CardClaims;
  idToken: string;
}

export interface SigningRequestCreated {
  kind: "created";
  requestId: string;
  signingUrl: string;
}
export interface SigningUnavailable {
  kind: "unavailable";
  reason: string;
  message?: string;
}

export interface SigningResult {
  request_id: string;
  status: "pending" | "signed" | "cancelled" | "refused" | "expired";
  reason?: string;
  sub?: string;
  digest?: string;
  signature?: string;
  signature_algorithm?: string;
  certificate?: string;
  chain?: string[];
  certificate_serial?: string;
  signed_at?: string;
}

export interface CardIdpClientOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  privateJwk: JWK;
  publicJwk: JWK;
  logger: Logger;
  now: () => Date;
  fetch?: typeof fetch;
}

/**
 * The generic relying party (lib/oidc-rp.ts, shared with the back office's staff login) with the
 * card realm's claims and its signing API.
 */
export class CardIdpClient extends OidcRelyingParty {
  constructor(private readonly opts: CardIdpClientOptions) {
    super({
      issuer: opts.issuer,
      clientId: opts.clientId,
      redirectUri: opts.redirectUri,
      scope: CARD_SCOPES,
      privateJwk: opts.privateJwk,
      publicJwk: opts.publicJwk,
      now: opts.now,
    });
  }

  /**
   * Validates the authorization response and the ID token (signature, alg, iss, aud, azp, exp,
   * iat, nonce; state and PKCE) and returns the holder's subject and claims.
   */
  async completeLogin(callbackUrl: URL, pending: PendingLogin): Promise<CardLogin> {
    const login = await this.completeOidcLogin(callbackUrl, pending);
    return { sub: login.sub, claims: pickClaims(login.claims), idToken: login.idToken };
  }

  private async post(path: string, body: Record<string, unknown>): Promise<Response> {
    const doFetch = this.opts.fetch ?? fetch;
    return doFetch(`${this.opts.issuer}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await this.clientAssertion(),
        ...body,
      }),
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** Asks the IdP to have the holder sign `digest`; the browser then goes to `signingUrl`. */
  async createSigningRequest(input: {
    sub: string;
    digest: string;
    description: string;
    returnTo: string;
  }): Promise<SigningRequestCreated | SigningUnavailable> {
    const res = await this.post("/signing/requests", {
      sub: input.sub,
      digest: input.digest,
      description: input.description,
      return_to: input.returnTo,
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, string>;
    if (res.status === 201 && body.request_id && body.signing_url) {
      return { kind: "created", requestId: body.request_id, signingUrl: body.signing_url };
    }
    if (res.status === 409) {
      return {
        kind: "unavailable",
        reason: body.reason ?? "unknown",
        ...(body.message ? { message: body.message } : {}),
      };
    }
    throw new Error(`signing request refused by the card IdP (HTTP ${res.status} ${body.error ?? ""})`);
  }

  async fetchSigningResult(requestId: string): Promise<SigningResult> {
    const res = await this.post(`/signing/requests/${encodeURIComponent(requestId)}/result`, {});
    const body = (await res.json().catch(() => ({}))) as SigningResult & { error?: string };
    if (!res.ok) throw new Error(`signing result not available (HTTP ${res.status} ${body.error ?? ""})`);
    return body;
  }
}

function pickClaims(claims: oidc.IDToken): CardClaims {
  const out: CardClaims = {};
  for (const key of [
    "name",
    "name_kana",
    "address",
    "birthdate",
    "gender",
    "sign_cert_status",
    "sign_cert_expires_on",
  ] as const) {
    const value = claims[key];
    if (typeof value === "string") (out as Record<string, string>)[key] = value;
  }
  return out;
}

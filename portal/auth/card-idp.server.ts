import { randomUUID } from "node:crypto";
import { importJWK, type JWK, SignJWT } from "jose";
import * as oidc from "openid-client";
import type { Logger } from "../../lib/logger.js";
import type { CardClaims } from "./claims.js";

export type { CardClaims };

/**
 * The portal's side of the card IdP (docs/contracts/card-idp.md): OpenID Connect login with
 * openid-client (authorization code, PKCE S256, state, nonce, private_key_jwt, and the ID token's
 * signature checked too), RP-initiated logout, and the signing API. The issuer, client id and
 * key come from configuration, so the same code can talk to the real デジタル認証アプリ.
 */

export const CARD_SCOPES = "openid name address birthdate gender sign";

/** Why a login was refused; logged (never with personal data) and shown as a generic page. */
export type LoginErrorCode =
  | "noPendingLogin" // no (or an expired / forged) login cookie: e.g. the callback was replayed
  | "stateMismatch"
  | "providerError" // the IdP answered with error=… (e.g. the resident cancelled)
  | "tokenRefused" // the token endpoint refused the code (reused, expired, wrong verifier)
  | "idTokenInvalid" // signature, alg, iss, aud, nonce, exp … (openid-client's checks)
  | "providerUnavailable";

export class LoginError extends Error {
  constructor(
    readonly code: LoginErrorCode,
    message: string,
    readonly providerError?: string,
  ) {
    super(message);
    this.name = "LoginError";
  }
}

/**
 * `instanceof` is not enough: under `npm start` the client is created by server.ts (loaded by tsx)
 * while routes run in Vite's module graph, so the same class exists twice.
 */
export function isLoginError(err: unknown): err is LoginError {
  return err instanceof Error && err.name === "LoginError" && "code" in err;
}

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

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

export class CardIdpClient {
  private configuration?: Promise<oidc.Configuration>;

  constructor(private readonly opts: CardIdpClientOptions) {}

  get issuer(): string {
    return this.opts.issuer;
  }

  /** The origin the browser is sent to (for the CSP's form-action). */
  get origin(): string {
    return new URL(this.opts.issuer).origin;
  }

  /** The public half of the client key, published at /auth/jwks.json. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.opts.publicJwk] };
  }

  /** Discovery, once; a failure is not cached, so a portal started before the IdP recovers. */
  config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      this.configuration = this.discover().catch((err: unknown) => {
        this.configuration = undefined;
        throw new LoginError("providerUnavailable", `card IdP discovery failed: ${errorText(err)}`);
      });
    }
    return this.configuration;
  }

  private async discover(): Promise<oidc.Configuration> {
    const key = (await importJWK(this.opts.privateJwk, "ES256")) as CryptoKey;
    const execute: ((c: oidc.Configuration) => void)[] = [oidc.enableNonRepudiationChecks];
    // Plain http only for the local stand-in; production refuses http:// issuers (env.server.ts).
    if (this.opts.issuer.startsWith("http://")) execute.push(oidc.allowInsecureRequests);
    return oidc.discovery(
      new URL(this.opts.issuer),
      this.opts.clientId,
      {
        id_token_signed_response_alg: "ES256",
        token_endpoint_auth_method: "private_key_jwt",
        token_endpoint_auth_signing_alg: "ES256",
      },
      oidc.PrivateKeyJwt({ key, ...(this.opts.publicJwk.kid ? { kid: this.opts.publicJwk.kid } : {}) }),
      { execute, timeout: 10 },
    );
  }

  /** Where to send the browser, and what to remember (in the login cookie) until it returns. */
  async startLogin(): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.config();
    const pending: PendingLogin = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.opts.redirectUri,
      scope: CARD_SCOPES,
      response_type: "code",
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Validates the authorization response and the ID token (signature, alg, iss, aud, azp, exp,
   * iat, nonce; state and PKCE) and returns the holder's subject and claims.
   */
  async completeLogin(callbackUrl: URL, pending: PendingLogin): Promise<CardLogin> {
    const config = await this.config();
    const returnedState = callbackUrl.searchParams.get("state");
    if (returnedState !== pending.state) {
      throw new LoginError("stateMismatch", "the state returned does not match the login in progress");
    }
    const providerError = callbackUrl.searchParams.get("error");
    if (providerError) {
      throw new LoginError("providerError", `the card IdP answered ${providerError}`, providerError);
    }
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) {
        throw new LoginError("tokenRefused", `token endpoint refused the code: ${err.error}`);
      }
      if (err instanceof oidc.ClientError && err.code === "OAUTH_TIMEOUT") {
        throw new LoginError("providerUnavailable", "the card IdP did not answer in time");
      }
      throw new LoginError("idTokenInvalid", `login response rejected: ${errorText(err)}`);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new LoginError("idTokenInvalid", "no ID token in the response");
    return { sub: claims.sub, claims: pickClaims(claims), idToken: tokens.id_token };
  }

  /** RP-initiated logout at the IdP, when it offers one. */
  async endSessionUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<URL | undefined> {
    let config: oidc.Configuration;
    try {
      config = await this.config();
    } catch {
      return undefined; // the IdP is down: the portal's own session is already gone, which is what matters
    }
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: postLogoutRedirectUri,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
  }

  /** A private_key_jwt assertion for the signing API (same shape as at the token endpoint). */
  private async clientAssertion(): Promise<string> {
    const key = await importJWK(this.opts.privateJwk, "ES256");
    const now = Math.floor(this.opts.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({
        alg: "ES256",
        ...(this.opts.publicJwk.kid ? { kid: this.opts.publicJwk.kid } : {}),
      })
      .setIssuer(this.opts.clientId)
      .setSubject(this.opts.clientId)
      .setAudience(this.opts.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key);
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

function errorText(err: unknown): string {
  // openid-client's messages name the failed check (e.g. unexpected "nonce" claim value); the
  // values themselves sit in `cause`, which is never logged.
  return err instanceof Error ? err.message : String(err);
}

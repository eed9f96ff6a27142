import { randomUUID } from "node:crypto";
import { importJWK, type JWK, SignJWT } from "jose";
import * as oidc from "openid-client";

/**
 * An OpenID Connect relying party, shared by the portal (card realm) and the back office (staff
 * realm): authorization code with PKCE S256, state and nonce, private_key_jwt (ES256), the ID
 * token's signature, alg, iss, aud, exp and nonce checked by openid-client, RP-initiated logout.
 * The issuer, client id and key come from configuration.
 */

/** Why a login was refused; logged (never with personal data) and shown as a generic page. */
export type LoginErrorCode =
  | "noPendingLogin" // no (or an expired / forged) login cookie: e.g. the callback was replayed
  | "stateMismatch"
  | "providerError" // the IdP answered with error=… (e.g. the user cancelled)
  | "tokenRefused" // the token endpoint refused the code (reused, expired, wrong verifier)
  | "idTokenInvalid" // signature, alg, iss, aud, nonce, exp … (openid-client's checks)
  | "providerUnavailable"
  | "accountRefused"; // the IdP vouched for someone this application does not accept

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
  /** Where to go after the login (a path of the same app), when the app keeps one. */
  returnTo?: string;
}

export interface OidcLogin {
  sub: string;
  claims: oidc.IDToken;
  idToken: string;
}

export interface OidcRelyingPartyOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  privateJwk: JWK;
  publicJwk: JWK;
  now: () => Date;
}

export class OidcRelyingParty {
  private configuration?: Promise<oidc.Configuration>;

  constructor(protected readonly rp: OidcRelyingPartyOptions) {}

  get issuer(): string {
    return this.rp.issuer;
  }

  get clientId(): string {
    return this.rp.clientId;
  }

  /** The origin the browser is sent to (for the CSP's form-action). */
  get origin(): string {
    return new URL(this.rp.issuer).origin;
  }

  /** The public half of the client key, published at /auth/jwks.json. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.rp.publicJwk] };
  }

  /** Discovery, once; a failure is not cached, so an app started before the IdP recovers. */
  config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      this.configuration = this.discover().catch((err: unknown) => {
        this.configuration = undefined;
        throw new LoginError("providerUnavailable", `IdP discovery failed: ${errorText(err)}`);
      });
    }
    return this.configuration;
  }

  private async discover(): Promise<oidc.Configuration> {
    const key = (await importJWK(this.rp.privateJwk, "ES256")) as CryptoKey;
    const execute: ((c: oidc.Configuration) => void)[] = [oidc.enableNonRepudiationChecks];
    // Plain http only for the local stand-in; production refuses http:// issuers (env.server.ts).
    if (this.rp.issuer.startsWith("http://")) execute.push(oidc.allowInsecureRequests);
    return oidc.discovery(
      new URL(this.rp.issuer),
      this.rp.clientId,
      {
        id_token_signed_response_alg: "ES256",
        token_endpoint_auth_method: "private_key_jwt",
        token_endpoint_auth_signing_alg: "ES256",
      },
      oidc.PrivateKeyJwt({ key, ...(this.rp.publicJwk.kid ? { kid: this.rp.publicJwk.kid } : {}) }),
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
      redirect_uri: this.rp.redirectUri,
      scope: this.rp.scope,
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
   * iat, nonce; state and PKCE) and returns the subject and the ID token's claims.
   */
  async completeOidcLogin(callbackUrl: URL, pending: PendingLogin): Promise<OidcLogin> {
    const config = await this.config();
    const returnedState = callbackUrl.searchParams.get("state");
    if (returnedState !== pending.state) {
      throw new LoginError("stateMismatch", "the state returned does not match the login in progress");
    }
    const providerError = callbackUrl.searchParams.get("error");
    if (providerError) {
      throw new LoginError("providerError", `the IdP answered ${providerError}`, providerError);
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
        throw new LoginError("providerUnavailable", "the IdP did not answer in time");
      }
      throw new LoginError("idTokenInvalid", `login response rejected: ${errorText(err)}`);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new LoginError("idTokenInvalid", "no ID token in the response");
    return { sub: claims.sub, claims, idToken: tokens.id_token };
  }

  /** RP-initiated logout at the IdP, when it offers one. */
  async endSessionUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<URL | undefined> {
    let config: oidc.Configuration;
    try {
      config = await this.config();
    } catch {
      return undefined; // the IdP is down: our own session is already gone, which is what matters
    }
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: postLogoutRedirectUri,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
  }

  /** A private_key_jwt assertion for the IdP's other APIs (same shape as at the token endpoint). */
  protected async clientAssertion(): Promise<string> {
    const key = await importJWK(this.rp.privateJwk, "ES256");
    const now = Math.floor(this.rp.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({
        alg: "ES256",
        ...(this.rp.publicJwk.kid ? { kid: this.rp.publicJwk.kid } : {}),
      })
      .setIssuer(this.rp.clientId)
      .setSubject(this.rp.clientId)
      .setAudience(this.rp.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key);
  }
}

export function publicHalf(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

function errorText(err: unknown): string {
  // openid-client's messages name the failed check (e.g. unexpected "nonce" claim value); the
  // values themselves sit in `cause`, which is never logged.
  return err instanceof Error ? err.message : String(err);
}

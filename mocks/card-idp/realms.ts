import Provider, { type Account, errors, interactionPolicy, type KoaContextWithOIDC } from "oidc-provider";
import type { World } from "../../lib/world.js";
import { fullName, fullNameKana, type Holder, signCertStatus, tokyoDate } from "./holders.js";
import { memoryAdapter } from "./memory-adapter.js";
import { Html, html, page, securityHeaders } from "./pages.js";
import type { StateStore } from "./state.js";

/**
 * The two OIDC realms, each its own oidc-provider instance: the card realm (residents,
 * client `juki-portal`) and the staff realm (counter staff, client `juki-backoffice`).
 * Both: code flow only, PKCE S256, state and nonce required, private_key_jwt, ES256.
 */

export const CARD_SCOPES = ["openid", "name", "address", "birthdate", "gender", "sign"] as const;
export const STAFF_SCOPES = ["openid", "profile"] as const;

export interface ClientConfig {
  clientId: string;
  clientName: string;
  /** The RP's base URL (PORTAL_URL / BACKOFFICE_URL). */
  baseUrl: string;
}

export interface RealmOptions {
  issuer: string;
  client: ClientConfig;
  /** Private JWK (ES256) signing ID tokens; stable across restarts. */
  signingJwk: JsonWebKey & { kid: string; alg: string };
  cookieKeys: string[];
  findAccount(sub: string): Account | undefined;
  scopes: readonly string[];
  claims: Record<string, string[]>;
}

export function clientMetadata(client: ClientConfig) {
  const base = client.baseUrl.replace(/\/$/, "");
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "ES256",
    jwks_uri: `${base}/auth/jwks.json`,
    redirect_uris: [`${base}/auth/callback`],
    post_logout_redirect_uris: [`${base}/`],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    id_token_signed_response_alg: "ES256",
  };
}

function requireParam(name: "state" | "nonce") {
  return (ctx: KoaContextWithOIDC, value: unknown) => {
    if (ctx.oidc.route !== "authorization") return;
    if (typeof value !== "string" || value.length === 0) {
      throw new errors.InvalidRequest(`${name} is required (${name} パラメータは必須です)`);
    }
  };
}

const errorTexts: Record<string, string> = {
  invalid_request: "認証の要求に誤りがあります。",
  invalid_client: "この利用者システムは登録されていません。",
  invalid_redirect_uri: "戻り先のアドレスが登録されていません。",
  unauthorized_client: "この利用者システムには許可されていない要求です。",
  access_denied: "認証が取り消されました。",
  invalid_scope: "要求された情報の範囲が正しくありません。",
  session_not_found: "認証の手続きが見つからないか、期限が切れました。はじめからやり直してください。",
  server_error: "認証サーバーで問題が起きました。しばらくしてからやり直してください。",
};

export function createRealm(opts: RealmOptions): Provider {
  const realmPath = new URL(opts.issuer).pathname.replace(/\/$/, "");
  const cookieBase = realmPath.replace(/\W/g, "") || "idp";
  const policy = interactionPolicy.base();
  // Like reading the card each time: no single sign-on at the IdP, every authorization asks.
  policy
    .get("login")
    ?.checks.push(
      new interactionPolicy.Check(
        "every_time",
        "the card (or staff credentials) must be presented for every authorization",
        (ctx) =>
          ctx.oidc.result?.login
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );

  const formTargets = [new URL(opts.client.baseUrl).origin];
  const jwksUri = clientMetadata(opts.client).jwks_uri;

  const provider = new Provider(opts.issuer, {
    adapter: memoryAdapter(),
    clients: [clientMetadata(opts.client)],
    clientAuthMethods: ["private_key_jwt"],
    responseTypes: ["code"],
    scopes: [...opts.scopes],
    claims: opts.claims,
    // The granted scopes' claims go into the ID token itself (the portal reads them there).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    extraParams: { state: requireParam("state"), nonce: requireParam("nonce") },
    allowOmittingSingleRegisteredRedirectUri: false,
    clientBasedCORS: () => false,
    // The library refuses to fetch from loopback addresses (SSRF protection), but here the
    // RPs run on 127.0.0.1. Instead, only the registered client's jwks_uri may be fetched.
    fetch: (url: URL | string, options: RequestInit & { dispatcher?: unknown }) => {
      if (String(url) !== jwksUri) return Promise.reject(new Error("fetch of an unregistered URL refused"));
      const { dispatcher: _ssrfDispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    findAccount: async (_ctx: unknown, sub: string) => opts.findAccount(sub),
    jwks: { keys: [{ ...opts.signingJwk, use: "sig" }] },
    cookies: {
      keys: opts.cookieKeys,
      names: {
        session: `${cookieBase}_session`,
        interaction: `${cookieBase}_interaction`,
        resume: `${cookieBase}_interaction_resume`,
      },
      long: { httpOnly: true, sameSite: "lax", path: realmPath || "/" },
      short: { httpOnly: true, sameSite: "lax" },
    },
    interactions: {
      policy,
      url: (_ctx: unknown, interaction: { uid: string }) => `${realmPath}/interaction/${interaction.uid}`,
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ["ES256"],
      idTokenSigningAlgValues: ["ES256"],
    },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          setPageHeaders(ctx, formTargets);
          ctx.type = "html";
          ctx.body = page({
            title: "ログアウト",
            // `form` is the provider's own hidden form (action and xsrf token), safe to embed.
            body: html`<p>${opts.client.clientName}からログアウトしますか。</p>
${new Html(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes">ログアウトする</button>
<button type="submit" form="op.logoutForm" class="secondary">ログアウトしない</button>`,
          });
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          setPageHeaders(ctx, formTargets);
          ctx.type = "html";
          ctx.body = page({ title: "ログアウトしました", body: html`<p>ログアウトしました。</p>` });
        },
      },
    },
    renderError: async (ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) => {
      setPageHeaders(ctx, formTargets);
      ctx.type = "html";
      const code = out.error ?? "server_error";
      ctx.body = page({
        title: "エラー",
        body: html`<p class="notice" role="alert">${errorTexts[code] ?? "認証の要求を処理できませんでした。"}</p>
<dl><dt>エラー</dt><dd>${code}</dd>${out.error_description ? html`<dt>詳細</dt><dd>${out.error_description}</dd>` : ""}</dl>
<p class="hint">元のサービスに戻って、もう一度ログインしてください。</p>`,
      });
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
  });
  return provider;
}

function setPageHeaders(ctx: KoaContextWithOIDC, formTargets: string[]): void {
  for (const [k, v] of Object.entries(securityHeaders(formTargets))) ctx.set(k, v);
}

export const cardClaims: Record<string, string[]> = {
  openid: ["sub"],
  name: ["name", "name_kana"],
  address: ["address"],
  birthdate: ["birthdate"],
  gender: ["gender"],
  sign: ["sign_cert_status", "sign_cert_expires_on"],
};

export const staffClaims: Record<string, string[]> = {
  openid: ["sub"],
  profile: ["name", "lg_code", "roles"],
};

export function cardAccount(holder: Holder, state: StateStore, now: () => Date): Account {
  return {
    accountId: holder.sub,
    claims: () => {
      const { person } = holder;
      const status = signCertStatus(holder, state.state, tokyoDate(now()));
      return {
        sub: holder.sub,
        name: fullName(person),
        name_kana: fullNameKana(person),
        address: person.address.line,
        birthdate: person.birthDate,
        gender: person.sex,
        sign_cert_status: status,
        ...(status !== "none" && holder.card.signCert
          ? { sign_cert_expires_on: holder.card.signCert.expiresOn }
          : {}),
      };
    },
  };
}

export function staffAccount(staff: World["staff"][number]): Account {
  return {
    accountId: staff.id,
    claims: () => ({ sub: staff.id, name: staff.name, lg_code: staff.lgCode, roles: staff.roles }),
  };
}

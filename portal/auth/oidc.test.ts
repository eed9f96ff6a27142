import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loader as callback } from "../app/routes/auth.callback.js";
import { loader as login } from "../app/routes/auth.login.js";
import { createTestPortal, request, run, type TestPortal } from "../test-support.js";

/**
 * The login is refused — and the refusal logged — whenever the provider's answer is not exactly
 * right. The provider here is deliberately broken on demand (jose + node:http): it hands out ID
 * tokens with a bad signature, alg none, the wrong iss / aud / nonce, or already expired, and it
 * refuses a code used twice. A good token logs in, so every negative test can fail.
 */
type Mode = "good" | "badSignature" | "algNone" | "wrongIss" | "wrongAud" | "wrongNonce" | "expired";

interface BrokenProvider {
  issuer: string;
  mode: Mode;
  /** code → nonce of the authorization request it answers. */
  codes: Map<string, { nonce: string; used: boolean }>;
  close(): Promise<void>;
}

async function startBrokenProvider(): Promise<BrokenProvider> {
  const good = await generateKeyPair("ES256", { extractable: true });
  const evil = await generateKeyPair("ES256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(good.publicKey)), kid: "good", alg: "ES256", use: "sig" };
  const provider = { mode: "good" as Mode, codes: new Map(), issuer: "" } as BrokenProvider;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", provider.issuer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      return send(200, {
        issuer: provider.issuer,
        authorization_endpoint: `${provider.issuer}/auth`,
        token_endpoint: `${provider.issuer}/token`,
        jwks_uri: `${provider.issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["ES256"],
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (url.pathname.endsWith("/jwks")) return send(200, { keys: [publicJwk] });
    if (url.pathname.endsWith("/token") && req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const code = new URLSearchParams(raw).get("code") ?? "";
      const entry = provider.codes.get(code);
      if (!entry || entry.used)
        return send(400, { error: "invalid_grant", error_description: "code already used" });
      entry.used = true;
      return send(200, {
        access_token: "at",
        token_type: "Bearer",
        expires_in: 600,
        id_token: await idToken(provider, entry.nonce, good.privateKey, evil.privateKey),
      });
    }
    send(404, { error: "not_found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  provider.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/card`;
  provider.close = () => new Promise((r) => server.close(() => r()));
  return provider;
}

async function idToken(
  p: BrokenProvider,
  nonce: string,
  key: CryptoKey,
  evilKey: CryptoKey,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: p.mode === "wrongIss" ? "http://127.0.0.1:1/evil" : p.issuer,
    aud: p.mode === "wrongAud" ? "someone-else" : "juki-portal",
    sub: "holder-sub-1",
    nonce: p.mode === "wrongNonce" ? "not-the-nonce" : nonce,
    iat: p.mode === "expired" ? now - 3600 : now,
    exp: p.mode === "expired" ? now - 1800 : now + 600,
    name: "試験 太郎",
    birthdate: "1985-04-12",
    address: "東京都墨田区吾妻橋一丁目1番1号",
    sign_cert_status: "valid",
  };
  if (p.mode === "algNone") {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${enc({ alg: "none", typ: "JWT" })}.${enc(claims)}.`;
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "good" })
    .sign(p.mode === "badSignature" ? evilKey : key);
}

let provider: BrokenProvider;
let portal: TestPortal;

beforeAll(async () => {
  provider = await startBrokenProvider();
  portal = await createTestPortal({ issuer: provider.issuer });
});
afterAll(async () => {
  await portal?.close();
  await provider?.close();
});
beforeEach(() => {
  provider.mode = "good";
});

/** Starts a login through the portal's own route, then plays the IdP's redirect back. */
async function loginRoundTrip(opts: { state?: string; reuse?: { code: string; cookie: string } } = {}) {
  let code: string;
  let cookie: string;
  let state: string;
  if (opts.reuse) {
    ({ code, cookie } = opts.reuse);
    state = opts.state ?? "";
  } else {
    const started = (await run(() =>
      login({ request: request(portal, "/auth/login"), params: {}, context: portal.context }),
    )) as Response;
    expect(started.status).toBe(302);
    const to = new URL(started.headers.get("location")!);
    expect(to.origin + to.pathname).toBe(`${provider.issuer}/auth`);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("redirect_uri")).toBe(`${portal.publicUrl}/auth/callback`);
    cookie = started.headers.get("set-cookie")!.split(";")[0]!;
    code = `code-${Math.random().toString(36).slice(2)}`;
    provider.codes.set(code, { nonce: to.searchParams.get("nonce")!, used: false });
    state = opts.state ?? to.searchParams.get("state")!;
  }
  const res = (await run(() =>
    callback({
      request: request(portal, `/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { cookie }),
      params: {},
      context: portal.context,
    }),
  )) as Response;
  return { res, code, cookie, state };
}

async function sessions(): Promise<number> {
  const r = await portal.db
    .selectFrom("portal.session")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function refusedWith(res: Response, reason: string) {
  expect(res.status).toBe(302);
  expect(res.headers.get("location")).toBe("/?login=failed");
  expect(res.headers.get("set-cookie") ?? "").not.toMatch(/juki_session=[A-Za-z0-9_-]{43}/);
  const line = portal.logs().findLast((l) => l.msg === "login refused");
  expect(line).toMatchObject({ reason });
  // The log says why, never with the claims or the token.
  expect(JSON.stringify(line)).not.toMatch(/試験|1985-04-12|eyJ/);
}

describe("card login (OpenID Connect) against a provider that misbehaves", () => {
  it("logs in with a correct ID token: a new session with a fresh id (positive control)", async () => {
    const before = await sessions();
    const { res } = await loginRoundTrip();
    expect(res.headers.get("location")).toBe("/");
    const cookies = res.headers.get("set-cookie") ?? "";
    expect(cookies).toMatch(/juki_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);
    expect(await sessions()).toBe(before + 1);
  });

  for (const [mode, what] of [
    ["badSignature", "an ID token signed with another key"],
    ["algNone", "an unsigned ID token (alg: none)"],
    ["wrongIss", "an ID token from another issuer"],
    ["wrongAud", "an ID token for another client"],
    ["wrongNonce", "an ID token with another nonce"],
    ["expired", "an expired ID token"],
  ] as const) {
    it(`refuses ${what}, and logs it`, async () => {
      provider.mode = mode;
      const before = await sessions();
      const { res } = await loginRoundTrip();
      refusedWith(res, "idTokenInvalid");
      expect(await sessions()).toBe(before);
    });
  }

  it("refuses a state that does not match the login in progress", async () => {
    const before = await sessions();
    const { res } = await loginRoundTrip({ state: "forged-state" });
    refusedWith(res, "stateMismatch");
    expect(await sessions()).toBe(before);
  });

  it("refuses a code used a second time (replayed callback with the same login cookie)", async () => {
    const first = await loginRoundTrip();
    expect(first.res.headers.get("location")).toBe("/");
    const before = await sessions();
    const again = await loginRoundTrip({
      reuse: { code: first.code, cookie: first.cookie },
      state: first.state,
    });
    refusedWith(again.res, "tokenRefused");
    expect(await sessions()).toBe(before);
  });

  it("refuses a callback without the login cookie of this browser", async () => {
    const { res } = await loginRoundTrip({ reuse: { code: "whatever", cookie: "" }, state: "s" });
    refusedWith(res, "noPendingLogin");
  });

  it("limits login attempts per client address", async () => {
    const limited = await createTestPortal({ issuer: provider.issuer, env: { LOGIN_RATE_LIMIT: "3" } });
    try {
      const statuses: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = (await run(() =>
          login({ request: request(limited, "/auth/login"), params: {}, context: limited.context }),
        )) as Response;
        statuses.push(
          res.headers.get("location")!.startsWith(provider.issuer) ? "idp" : res.headers.get("location")!,
        );
      }
      expect(statuses).toEqual(["idp", "idp", "idp", "/?login=limited", "/?login=limited"]);
      // Another address is not affected; the table holds no address in clear.
      const other = { ...limited.context, clientAddress: "198.51.100.7" };
      const res = (await run(() =>
        login({ request: request(limited, "/auth/login"), params: {}, context: other }),
      )) as Response;
      expect(res.headers.get("location")!.startsWith(provider.issuer)).toBe(true);
      const buckets = await limited.db.selectFrom("portal.rate_limit").select("bucket").execute();
      expect(JSON.stringify(buckets)).not.toContain("192.0.2.10");
      // The window passes: allowed again.
      limited.setNow(new Date(limited.services.now().getTime() + 11 * 60 * 1000));
      const later = (await run(() =>
        login({ request: request(limited, "/auth/login"), params: {}, context: limited.context }),
      )) as Response;
      expect(later.headers.get("location")!.startsWith(provider.issuer)).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

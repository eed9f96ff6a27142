import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import * as oidc from "openid-client";
import { createLogger } from "../../lib/logger.js";
import { devKeyPair } from "../../lib/secrets.js";
import { loadWorld, type World, type WorldPerson } from "../../lib/world.js";
import { freePort } from "../../tests/support/free-port.js";
import { CLIENT_ASSERTION_TYPE } from "./client-auth.js";
import { type CardIdp, startCardIdp } from "./index.js";

/**
 * Test support for the card IdP: a world of holders in every state (built from the first card
 * holder of whatever WORLD_FILE holds, so it does not depend on the demo people), the IdP on
 * a free port with a temporary DATA_DIR, stand-in RPs publishing their JWKS, a cookie-keeping
 * browser, and openid-client as the relying party.
 */

export const TODAY = "2026-11-26";
export const NOW = () => new Date(`${TODAY}T03:00:00Z`);

export interface Variant {
  key: string;
  name: string;
  authPin: string;
  signPin?: string;
}

/** Each variant's given name is its key, so tests can find its card on the chooser page. */
export function testWorld(base: World = loadWorld()): { world: World; variants: Record<string, Variant> } {
  const template = base.people.find((p) => p.card?.signCert);
  if (!template?.card?.signCert)
    throw new Error("the world file has no card holder with a signing certificate");
  const variants: Record<string, Variant> = {};
  const people: WorldPerson[] = [];
  const mk = (
    key: string,
    n: number,
    change: (card: NonNullable<WorldPerson["card"]>, person: WorldPerson) => void,
  ): void => {
    const person: WorldPerson = structuredClone(template);
    const card = person.card!;
    person.id = `T${String(n).padStart(4, "0")}`;
    person.name = { ...person.name, family: "試験", given: key, familyKana: "シケン", givenKana: key };
    person.birthDate = "1980-05-05";
    card.cardNumber = `9${String(n).padStart(11, "0")}`;
    card.status = "active";
    card.expiresOn = "2034-05-05";
    card.authCert = {
      serial: `10000000000${String(n).padStart(5, "0")}`,
      expiresOn: "2031-05-05",
      status: "valid",
    };
    card.signCert = {
      serial: `20000000000${String(n).padStart(5, "0")}`,
      expiresOn: "2031-05-05",
      status: "valid",
    };
    card.pins = { auth: String(1000 + n), assist: String(1000 + n), sign: `Sign${n}Pass` };
    change(card, person);
    people.push(person);
    variants[key] = {
      key,
      name: `試験 ${key}`,
      authPin: card.pins.auth,
      ...(card.pins.sign ? { signPin: card.pins.sign } : {}),
    };
  };
  mk("active", 1, () => {});
  mk("second", 2, () => {});
  mk("suspended", 3, (c) => {
    c.status = "suspended";
  });
  mk("revokedcard", 4, (c) => {
    c.status = "revoked";
  });
  mk("expiredcard", 5, (c) => {
    c.expiresOn = "2026-11-25";
  });
  mk("expiredauth", 6, (c) => {
    c.authCert.expiresOn = "2026-11-25";
  });
  mk("revokedauth", 7, (c) => {
    c.authCert.status = "revoked";
  });
  mk("child", 8, (c, p) => {
    p.birthDate = "2015-06-20";
    delete c.signCert;
    delete c.pins.sign;
  });
  mk("expiredsign", 9, (c) => {
    c.signCert!.expiresOn = "2025-11-30";
  });
  mk("revokedsign", 10, (c) => {
    c.signCert!.status = "revoked";
  });
  mk("locksign", 11, () => {});
  mk("lockauth", 12, () => {});
  mk("revokelater", 13, () => {});
  mk("addressmove", 14, () => {});
  const withoutCard: WorldPerson = structuredClone(template);
  withoutCard.id = "T9999";
  delete withoutCard.card;
  people.push(withoutCard);
  return { world: { ...base, people }, variants };
}

/** A stand-in RP: serves its public key at /auth/jwks.json (what the portal/back office do). */
async function fakeRp(publicJwk: JsonWebKey): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.url === "/auth/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${port}`, server };
}

export interface TestIdp {
  idp: CardIdp;
  world: World;
  variants: Record<string, Variant>;
  dataDir: string;
  base: string;
  cardIssuer: string;
  staffIssuer: string;
  portalUrl: string;
  backofficeUrl: string;
  portalKey: CryptoKey;
  backofficeKey: CryptoKey;
  portalKid: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestIdp(options: { world?: World } = {}): Promise<TestIdp> {
  const built = testWorld();
  const world = options.world ?? built.world;
  const dataDir = mkdtempSync(path.join(tmpdir(), "card-idp-"));
  const portalPair = devKeyPair(dataDir, "portal-oidc-client", "ES256");
  const backofficePair = devKeyPair(dataDir, "backoffice-oidc-client", "ES256");
  const portal = await fakeRp(portalPair.publicJwk);
  const backoffice = await fakeRp(backofficePair.publicJwk);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = () =>
    startCardIdp({
      world,
      port,
      publicUrl: base,
      portalUrl: portal.url,
      backofficeUrl: backoffice.url,
      dataDir,
      now: NOW,
      logger: createLogger({ name: "card-idp-test", level: process.env.CARD_IDP_TEST_LOG ?? "silent" }),
    });
  const importKey = (jwk: JsonWebKey) =>
    crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const t: TestIdp = {
    idp: await start(),
    world,
    variants: built.variants,
    dataDir,
    base,
    cardIssuer: `${base}/card`,
    staffIssuer: `${base}/staff`,
    portalUrl: portal.url,
    backofficeUrl: backoffice.url,
    portalKey: await importKey(portalPair.privateJwk),
    backofficeKey: await importKey(backofficePair.privateJwk),
    portalKid: portalPair.privateJwk.kid,
    async restart() {
      await t.idp.close();
      // Let the client side of pooled keep-alive sockets see the close before the next request.
      await new Promise((r) => setTimeout(r, 100));
      t.idp = await start();
    },
    async close() {
      await t.idp.close();
      portal.server.close();
      backoffice.server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** fetch with manual redirects and a cookie jar (path-scoped), like a browser without JavaScript. */
export class Browser {
  private readonly jar = new Map<string, { value: string; path: string }>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const cookies = [...this.jar.entries()]
      .filter(
        ([, c]) =>
          u.pathname === c.path || u.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
      )
      .map(([name, c]) => `${name}=${c.value}`);
    const headers = new Headers(init.headers);
    if (cookies.length) headers.set("cookie", cookies.join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith("path="));
      const expired = attrs.some((a) => /^expires=.*1970/i.test(a) || /^max-age=0$/i.test(a));
      if (expired || value === "") this.jar.delete(name);
      else this.jar.set(name, { value, path: pathAttr ? pathAttr.slice(5) : "/" });
    }
    return res;
  }

  get(url: string): Promise<Response> {
    return this.request(url);
  }

  post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows redirects until one leaves for `stopAtOrigin` (returned, not fetched) or a page answers. */
  async follow(res: Response, from: string, stopAtOrigin: string): Promise<{ res: Response; url: string }> {
    let url = from;
    let current = res;
    for (let i = 0; i < 10 && current.status >= 300 && current.status < 400; i++) {
      url = new URL(current.headers.get("location")!, url).href;
      if (new URL(url).origin === stopAtOrigin) return { res: current, url };
      current = await this.get(url);
    }
    return { res: current, url };
  }
}

export function formAction(htmlText: string, suffix: string): string {
  const m = [...htmlText.matchAll(/<form method="post" action="([^"]+)"/g)]
    .map((x) => x[1]!)
    .find((a) => a.endsWith(suffix));
  if (!m) throw new Error(`no form ending in ${suffix}`);
  return m;
}

export function cardButtons(htmlText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of htmlText.matchAll(/name="card" value="([^"]+)">([^（<]+)（/g)) out.set(m[2]!, m[1]!);
  return out;
}

export async function portalConfig(t: TestIdp): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(t.cardIssuer),
    "juki-portal",
    { id_token_signed_response_alg: "ES256" },
    oidc.PrivateKeyJwt({ key: t.portalKey, kid: t.portalKid }),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthStart {
  browser: Browser;
  verifier: string;
  state: string;
  nonce: string;
  /** The interaction page (card chooser). */
  page: string;
  pageUrl: string;
}

export async function startCardLogin(
  t: TestIdp,
  config: oidc.Configuration,
  scope = "openid name address birthdate gender sign",
): Promise<AuthStart> {
  const browser = new Browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${t.portalUrl}/auth/callback`,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const first = await browser.get(authUrl.href);
  const { res, url } = await browser.follow(first, authUrl.href, t.portalUrl);
  if (res.status !== 200) throw new Error(`expected the card chooser, got ${res.status} at ${url}`);
  return { browser, verifier, state, nonce, page: await res.text(), pageUrl: url };
}

/** Picks a card on the chooser; returns the next page (PIN entry or a refusal). */
export async function pickCard(t: TestIdp, a: AuthStart, name: string): Promise<Response> {
  const sub = cardButtons(a.page).get(name);
  if (!sub) throw new Error(`card of ${name} not on the chooser`);
  return a.browser.post(new URL(formAction(a.page, "/card"), t.base).href, { card: sub });
}

export async function enterPin(t: TestIdp, a: AuthStart, pinPage: string, pin: string): Promise<Response> {
  const card = /name="card" value="([^"]+)"/.exec(pinPage)?.[1] ?? "";
  return a.browser.post(new URL(formAction(pinPage, "/pin"), t.base).href, { card, pin });
}

/** The whole card login for one variant; returns the callback URL the browser lands on. */
export async function cardLogin(
  t: TestIdp,
  config: oidc.Configuration,
  variant: Variant,
  scope?: string,
): Promise<{ a: AuthStart; callback: URL }> {
  const a = await startCardLogin(t, config, scope);
  const pinPage = await (await pickCard(t, a, variant.name)).text();
  const submitted = await enterPin(t, a, pinPage, variant.authPin);
  const { url } = await a.browser.follow(submitted, t.base, t.portalUrl);
  return { a, callback: new URL(url) };
}

export async function clientAssertion(t: TestIdp, aud = t.cardIssuer): Promise<Record<string, string>> {
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: t.portalKid })
    .setIssuer("juki-portal")
    .setSubject("juki-portal")
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime("60s")
    .setJti(randomUUID())
    .sign(t.portalKey);
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

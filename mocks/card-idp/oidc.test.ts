import { decodeJwt } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld } from "../../lib/world.js";
import {
  Browser,
  cardButtons,
  cardLogin,
  enterPin,
  formAction,
  pickCard,
  portalConfig,
  startCardLogin,
  startTestIdp,
  type TestIdp,
} from "./test-support.js";

let t: TestIdp;
let config: oidc.Configuration;

beforeAll(async () => {
  t = await startTestIdp();
  config = await portalConfig(t);
});
afterAll(async () => {
  await t?.close();
});

async function exchange(a: { verifier: string; state: string; nonce: string }, callback: URL) {
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: a.verifier,
    expectedState: a.state,
    expectedNonce: a.nonce,
    idTokenExpected: true,
  });
}

describe("discovery", () => {
  it("advertises code flow, S256 only, private_key_jwt with ES256, ES256 ID tokens, both realms", async () => {
    const doc = (await (await fetch(`${t.cardIssuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc.issuer).toBe(t.cardIssuer);
    expect(doc.response_types_supported).toEqual(["code"]);
    expect(doc.grant_types_supported).toEqual(["authorization_code"]);
    expect(doc.code_challenge_methods_supported).toEqual(["S256"]);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(["private_key_jwt"]);
    expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(["ES256"]);
    expect(doc.id_token_signing_alg_values_supported).toEqual(["ES256"]);
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(["openid", "name", "address", "birthdate", "gender", "sign"]),
    );
    const staff = (await (await fetch(`${t.staffIssuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(staff.issuer).toBe(t.staffIssuer);
    expect(staff.scopes_supported).toEqual(expect.arrayContaining(["openid", "profile"]));
  });

  it("answers /healthz and /readyz at the server root", async () => {
    expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", component: "card-idp" });
  });
});

describe("card login (code flow with PKCE)", () => {
  it("gives an ES256 ID token with the 基本4情報 for the scopes asked, and a stable keyed sub", async () => {
    const v = t.variants.active!;
    const { a, callback } = await cardLogin(t, config, v);
    expect(callback.searchParams.get("iss")).toBe(t.cardIssuer);
    const tokens = await exchange(a, callback);
    expect(JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString()).alg).toBe(
      "ES256",
    );
    const claims = tokens.claims()!;
    const person = t.world.people.find((p) => p.name.given === v.key)!;
    expect(claims).toMatchObject({
      iss: t.cardIssuer,
      aud: "juki-portal",
      nonce: a.nonce,
      name: `${person.name.family} ${person.name.given}`,
      name_kana: `${person.name.familyKana} ${person.name.givenKana}`,
      address: person.address.line,
      birthdate: person.birthDate,
      gender: person.sex,
      sign_cert_status: "valid",
      sign_cert_expires_on: person.card!.signCert!.expiresOn,
    });
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const secret of [person.myNumber, person.card!.cardNumber, person.residentCode, person.id])
      expect(JSON.stringify(claims)).not.toContain(secret);

    // Same holder again (a new authorization asks for the card again): same sub.
    const again = await cardLogin(t, config, v, "openid");
    const claims2 = (await exchange(again.a, again.callback)).claims()!;
    expect(claims2.sub).toBe(claims.sub);
    // Only the scopes asked for.
    expect(claims2.name).toBeUndefined();
    expect(claims2.address).toBeUndefined();
    expect(claims2.birthdate).toBeUndefined();
    // Another holder: another sub.
    const other = await cardLogin(t, config, t.variants.second!, "openid name");
    const claims3 = (await exchange(other.a, other.callback)).claims()!;
    expect(claims3.sub).not.toBe(claims.sub);
    expect(claims3.name).toBe(t.variants.second!.name);
    expect(claims3.birthdate).toBeUndefined();
  });

  it("gives each scope's claims only: address and gender without name", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid address gender");
    const claims = (await exchange(a, callback)).claims()!;
    expect(claims.address).toEqual(expect.any(String));
    expect(claims.gender).toMatch(/^(male|female)$/);
    expect(claims.name).toBeUndefined();
    expect(claims.sign_cert_status).toBeUndefined();
  });

  it("reports a child's missing signing certificate in the sign claims", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.child!, "openid sign");
    const claims = (await exchange(a, callback)).claims()!;
    expect(claims.sign_cert_status).toBe("none");
    expect(claims.sign_cert_expires_on).toBeUndefined();
  });

  it("refuses a code redeemed with the wrong PKCE verifier", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid");
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: a.state,
        expectedNonce: a.nonce,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("lists every card holder of the world by name with only the last 4 digits of the card number", async () => {
    const a = await startCardLogin(t, config);
    const holders = t.world.people.filter((p) => p.card);
    expect(cardButtons(a.page).size).toBe(holders.length);
    for (const p of holders) {
      expect(a.page).toContain(`${p.name.family} ${p.name.given}`);
      expect(a.page).toContain(`末尾 ${p.card!.cardNumber.slice(-4)}`);
      expect(a.page).not.toContain(p.card!.cardNumber);
      expect(a.page).not.toContain(p.myNumber);
      expect(a.page).not.toContain(`value="${p.card!.pins.auth}"`);
    }
    expect(a.page).not.toMatch(/<script/i);
    expect(a.page).toContain('lang="ja"');
  });

  it("works on the demo world file too (every holder is offered)", async () => {
    const world = loadWorld();
    const demo = await startTestIdp({ world });
    try {
      const a = await startCardLogin(demo, await portalConfig(demo));
      expect(cardButtons(a.page).size).toBe(world.people.filter((p) => p.card).length);
    } finally {
      await demo.close();
    }
  });

  it("sends the holder back with access_denied on cancel", async () => {
    const a = await startCardLogin(t, config);
    const res = await a.browser.post(new URL(formAction(a.page, "/abort"), t.base).href, {});
    const { url } = await a.browser.follow(res, t.base, t.portalUrl);
    expect(new URL(url).searchParams.get("error")).toBe("access_denied");
    expect(new URL(url).searchParams.get("state")).toBe(a.state);
  });
});

describe("authorization requests that must be refused", () => {
  async function authorize(params: Record<string, string | undefined>): Promise<Response> {
    const url = new URL(`${t.cardIssuer}/auth`);
    const defaults: Record<string, string> = {
      client_id: "juki-portal",
      response_type: "code",
      redirect_uri: `${t.portalUrl}/auth/callback`,
      scope: "openid name",
      state: "s-123",
      nonce: "n-123",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    };
    for (const [k, v] of Object.entries({ ...defaults, ...params }))
      if (v !== undefined) url.searchParams.set(k, v);
    return new Browser().get(url.href);
  }

  function errorOf(res: Response) {
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin).toBe(t.portalUrl);
    return {
      error: location.searchParams.get("error"),
      description: location.searchParams.get("error_description") ?? "",
    };
  }

  it("accepts the complete request (control)", async () => {
    const res = await authorize({});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/\/card\/interaction\//);
  });

  it("without PKCE", async () => {
    const e = errorOf(await authorize({ code_challenge: undefined, code_challenge_method: undefined }));
    expect(e.error).toBe("invalid_request");
    expect(e.description).toMatch(/PKCE/i);
  });

  it("with PKCE plain", async () => {
    const e = errorOf(await authorize({ code_challenge_method: "plain" }));
    expect(e.error).toBe("invalid_request");
  });

  it("without state", async () => {
    const e = errorOf(await authorize({ state: undefined }));
    expect(e.error).toBe("invalid_request");
    expect(e.description).toMatch(/state is required/);
  });

  it("without nonce", async () => {
    const res = await authorize({ nonce: undefined });
    const e = errorOf(res);
    expect(e.error).toBe("invalid_request");
    expect(e.description).toMatch(/nonce is required/);
    expect(new URL(res.headers.get("location")!).searchParams.get("state")).toBe("s-123");
  });

  it("with another response type", async () => {
    const res = await authorize({ response_type: "id_token" });
    expect(res.headers.get("location") ?? "").not.toMatch(/\/interaction\//);
  });

  it("with an unregistered redirect_uri: an error page of our own, no redirect", async () => {
    const res = await authorize({ redirect_uri: "http://127.0.0.1:1/evil" });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain("戻り先のアドレスが登録されていません");
    expect(body).not.toMatch(/<script/i);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("refused cards and PIN lock-out", () => {
  const cases = [
    ["suspended", "一時停止"],
    ["revokedcard", "廃止"],
    ["expiredcard", "有効期限が切れています"],
    ["expiredauth", "電子証明書の有効期限が切れています"],
    ["revokedauth", "失効"],
  ] as const;
  for (const [key, reason] of cases) {
    it(`refuses the ${key} card with the reason in Japanese`, async () => {
      const a = await startCardLogin(t, config);
      const res = await pickCard(t, a, t.variants[key]!.name);
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(body).toContain(reason);
      expect(body).not.toContain('name="pin"');
    });
  }

  it("refuses a wrong PIN, locks after three, and stays locked across a restart", async () => {
    const v = t.variants.lockauth!;
    const wrong = v.authPin === "0000" ? "1111" : "0000";
    const a = await startCardLogin(t, config);
    let page = await (await pickCard(t, a, v.name)).text();
    let res = await enterPin(t, a, page, wrong);
    expect(res.status).toBe(400);
    page = await res.text();
    expect(page).toContain("あと2回");
    // A malformed entry does not count.
    res = await enterPin(t, a, page, "12");
    page = await res.text();
    expect(page).toContain("数字4桁");
    res = await enterPin(t, a, page, wrong);
    page = await res.text();
    expect(page).toContain("あと1回");
    res = await enterPin(t, a, page, wrong);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("ロックされています");

    // Even the right PIN is refused now, in a new login.
    const b = await startCardLogin(t, config);
    const refused = await pickCard(t, b, v.name);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("ロックされています");

    await t.restart();
    const c = await startCardLogin(t, config);
    const afterRestart = await pickCard(t, c, v.name);
    expect(afterRestart.status).toBe(403);
    expect(await afterRestart.text()).toContain("ロックされています");

    // The counter's PIN reset unlocks it; then the right PIN logs in.
    const serial = t.world.people.find((p) => p.name.given === v.key)!.card!.authCert.serial;
    expect((await fetch(`${t.base}/jpki/certificates/${serial}/unlock`, { method: "POST" })).status).toBe(
      200,
    );
    const { callback } = await cardLogin(t, config, v, "openid");
    expect(callback.searchParams.get("code")).toBeTruthy();
  });

  it("resets the counter after a correct PIN", async () => {
    const v = t.variants.second!;
    const wrong = v.authPin === "0000" ? "1111" : "0000";
    for (let round = 0; round < 2; round++) {
      const a = await startCardLogin(t, config, "openid");
      let page = await (await pickCard(t, a, v.name)).text();
      for (let i = 0; i < 2; i++) page = await (await enterPin(t, a, page, wrong)).text();
      expect(page).toContain("あと1回");
      const ok = await enterPin(t, a, page, v.authPin);
      const { url } = await a.browser.follow(ok, t.base, t.portalUrl);
      expect(new URL(url).searchParams.get("code")).toBeTruthy();
    }
  });
});

describe("after a restart", () => {
  it("keeps the realm's signing key and the holder's sub", async () => {
    const v = t.variants.second!;
    const before = await cardLogin(t, config, v, "openid");
    const sub = (await exchange(before.a, before.callback)).claims()!.sub;
    const jwksBefore = await (await fetch(`${t.cardIssuer}/jwks`)).json();
    await t.restart();
    expect(await (await fetch(`${t.cardIssuer}/jwks`)).json()).toEqual(jwksBefore);
    config = await portalConfig(t);
    const after = await cardLogin(t, config, v, "openid");
    expect((await exchange(after.a, after.callback)).claims()!.sub).toBe(sub);
  });
});

describe("staff realm", () => {
  async function staffLogin(staffId: string, password: string) {
    const staffConfig = await oidc.discovery(
      new URL(t.staffIssuer),
      "juki-backoffice",
      { id_token_signed_response_alg: "ES256" },
      oidc.PrivateKeyJwt(t.backofficeKey),
      { execute: [oidc.allowInsecureRequests] },
    );
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authUrl = oidc.buildAuthorizationUrl(staffConfig, {
      redirect_uri: `${t.backofficeUrl}/auth/callback`,
      scope: "openid profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    const { res: pageRes } = await browser.follow(
      await browser.get(authUrl.href),
      authUrl.href,
      t.backofficeUrl,
    );
    const page = await pageRes.text();
    expect(page).toContain("職員ID");
    const submitted = await browser.post(new URL(formAction(page, "/login"), t.base).href, {
      staffId,
      password,
    });
    if (submitted.status === 401) return { refused: await submitted.text() };
    const { url } = await browser.follow(submitted, t.base, t.backofficeUrl);
    const tokens = await oidc.authorizationCodeGrant(staffConfig, new URL(url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    return { claims: tokens.claims()! };
  }

  it("logs a staff member in with id and password; claims from the world's staff", async () => {
    const member = t.world.staff[0]!;
    const { claims } = await staffLogin(member.id, member.password);
    expect(claims).toMatchObject({
      iss: t.staffIssuer,
      aud: "juki-backoffice",
      sub: member.id,
      name: member.name,
      lg_code: member.lgCode,
      roles: member.roles,
    });
  });

  it("refuses a wrong password without saying which part was wrong", async () => {
    const member = t.world.staff[0]!;
    const { refused } = await staffLogin(member.id, `${member.password}x`);
    expect(refused).toContain("職員IDまたはパスワードが違います");
    expect(refused).not.toContain(member.password);
  });

  it("locks a staff id after five wrong passwords: the right one is refused too, other staff are not", async () => {
    // Staff no other test here logs in as (the one before counts a failure for staff[0]).
    const member = t.world.staff.at(-1)!;
    const other = t.world.staff.at(-2)!;
    for (let i = 0; i < 5; i++) {
      const { refused } = await staffLogin(member.id, `wrong-${i}`);
      expect(refused).toContain("職員IDまたはパスワードが違います");
    }
    const { refused } = await staffLogin(member.id, member.password);
    expect(refused).toContain("一時的に止めています");
    expect(refused).toContain("15分後");
    const { claims } = await staffLogin(other.id, other.password);
    expect(claims?.sub).toBe(other.id);
  });

  it("does not accept the portal's client on the staff realm", async () => {
    const url = new URL(`${t.staffIssuer}/auth`);
    url.search = new URLSearchParams({
      client_id: "juki-portal",
      response_type: "code",
      redirect_uri: `${t.portalUrl}/auth/callback`,
      scope: "openid",
      state: "s",
      nonce: "n",
      code_challenge: "x".repeat(43),
      code_challenge_method: "S256",
    }).toString();
    const res = await fetch(url, { redirect: "manual" });
    expect(res.status).toBe(400);
  });
});

describe("ID token", () => {
  it("is refused by the RP when the nonce does not match (the IdP echoes the nonce it was sent)", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid");
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: a.verifier,
        expectedState: a.state,
        expectedNonce: "another-nonce",
      }),
    ).rejects.toThrow();
  });

  it("carries the claims in the ID token itself, not only at userinfo", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid birthdate");
    const tokens = await exchange(a, callback);
    expect(decodeJwt(tokens.id_token!).birthdate).toBe("1980-05-05");
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.birthdate).toBe("1980-05-05");
  });
});

describe("logout", () => {
  it("confirms in Japanese without scripts, then returns to the registered post-logout URI", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid");
    const tokens = await exchange(a, callback);
    const endUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${t.portalUrl}/`,
      state: "bye",
    });
    const confirm = await a.browser.get(endUrl.href);
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    expect(page).toContain("ログアウトしますか");
    expect(page).not.toMatch(/<script/i);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(page)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
    const done = await a.browser.post(new URL(action, t.base).href, { xsrf, logout: "yes" });
    expect(done.status).toBe(303);
    const back = new URL(done.headers.get("location")!);
    expect(`${back.origin}${back.pathname}`).toBe(`${t.portalUrl}/`);
    expect(back.searchParams.get("state")).toBe("bye");
  });

  it("refuses an unregistered post-logout URI", async () => {
    const { a, callback } = await cardLogin(t, config, t.variants.second!, "openid");
    const tokens = await exchange(a, callback);
    const endUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: "http://127.0.0.1:1/",
    });
    const res = await a.browser.get(endUrl.href);
    expect(res.status).toBe(400);
  });
});

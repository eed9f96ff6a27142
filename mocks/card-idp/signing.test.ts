import { createHash, randomBytes, verify, X509Certificate } from "node:crypto";
import { SignJWT } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devSecret } from "../../lib/secrets.js";
import { JPKI_OID } from "./ca.js";
import { CLIENT_ASSERTION_TYPE } from "./client-auth.js";
import { subjectFor } from "./holders.js";
import {
  Browser,
  cardLogin,
  clientAssertion,
  portalConfig,
  postJson,
  startTestIdp,
  type TestIdp,
  type Variant,
} from "./test-support.js";

let t: TestIdp;

beforeAll(async () => {
  t = await startTestIdp();
});
afterAll(async () => {
  await t?.close();
});

const person = (v: Variant) => t.world.people.find((p) => p.name.given === v.key)!;
const subOf = (v: Variant) => subjectFor(devSecret(t.dataDir, "card-idp-sub-key"), person(v).id);
const digestOf = (text: string) => createHash("sha256").update(text).digest("base64url");

async function createRequest(sub: string, overrides: Record<string, unknown> = {}) {
  return postJson(`${t.cardIssuer}/signing/requests`, {
    ...(await clientAssertion(t)),
    sub,
    digest: digestOf(`application ${randomBytes(4).toString("hex")}`),
    description: "転出届・転入予約（試験）",
    return_to: `${t.portalUrl}/applications/1/signed?x=1`,
    ...overrides,
  });
}

async function result(requestId: string) {
  return postJson(`${t.cardIssuer}/signing/requests/${requestId}/result`, await clientAssertion(t));
}

function formAt(page: string): string {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error("no form on the signing page");
  return new URL(action, t.base).href;
}

describe("signing flow", () => {
  it("signs the digest for the logged-in holder; the signature verifies with a certificate that chains to the root", async () => {
    const v = t.variants.active!;
    // The portal learns the holder's sub from the login.
    const config = await portalConfig(t);
    const { a, callback } = await cardLogin(t, config, v, "openid sign");
    const sub = (
      await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: a.verifier,
        expectedState: a.state,
        expectedNonce: a.nonce,
      })
    ).claims()!.sub;
    expect(sub).toBe(subOf(v));

    const application = JSON.stringify({ kind: "moveOut", to: "131067", at: "2026-12-10" });
    const digest = digestOf(application);
    const created = await createRequest(sub, { digest });
    expect(created.status).toBe(201);
    const { request_id, signing_url } = created.json as { request_id: string; signing_url: string };
    expect(signing_url).toBe(`${t.cardIssuer}/signing/${request_id}`);

    const browser = new Browser();
    const pageRes = await browser.get(signing_url);
    expect(pageRes.status).toBe(200);
    const page = await pageRes.text();
    expect(page).toContain("転出届・転入予約（試験）");
    expect(page).toContain(Buffer.from(digest, "base64url").toString("hex").toUpperCase().slice(0, 8));
    expect(page).toContain("住民記録ポータル");
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain(v.signPin!);

    // Not yet signed.
    expect((await result(request_id)).json.status).toBe("pending");

    const signed = await browser.post(formAt(page), { pin: v.signPin!, action: "sign" });
    expect(signed.status).toBe(303);
    const back = new URL(signed.headers.get("location")!);
    expect(back.origin + back.pathname).toBe(`${t.portalUrl}/applications/1/signed`);
    expect(back.searchParams.get("x")).toBe("1");
    expect(back.searchParams.get("request_id")).toBe(request_id);

    const r = await result(request_id);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      request_id,
      status: "signed",
      sub,
      digest,
      signature_algorithm: "ECDSA-P256-SHA256",
      certificate_serial: person(v).card!.signCert!.serial,
    });
    const cert = new X509Certificate(r.json.certificate as string);
    const rootPem = await (await fetch(`${t.base}/jpki/root.pem`)).text();
    const root = new X509Certificate(rootPem);
    expect((r.json.chain as string[])[0]).toBe(rootPem);

    // The signature: ECDSA P-256 / SHA-256 over the 32 digest bytes, DER-encoded.
    const signature = Buffer.from(r.json.signature as string, "base64url");
    expect(verify("sha256", Buffer.from(digest, "base64url"), cert.publicKey, signature)).toBe(true);
    expect(
      verify("sha256", Buffer.from(digestOf(`${application} `), "base64url"), cert.publicKey, signature),
    ).toBe(false);
    // The certificate: issued by the root, the world's serial and expiry, the 基本4情報 inside.
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkIssued(root)).toBe(true);
    expect(BigInt(`0x${cert.serialNumber}`).toString()).toBe(person(v).card!.signCert!.serial);
    expect(new Date(cert.validTo).toISOString()).toBe(`${person(v).card!.signCert!.expiresOn}T14:59:59.000Z`);
    expect(cert.ca).toBe(false);
    expect(root.ca).toBe(true);
    const der = cert.raw;
    expect(der.includes(Buffer.from(`${person(v).name.family} ${person(v).name.given}`))).toBe(true);
    expect(der.includes(Buffer.from(person(v).address.line))).toBe(true);
    expect(der.includes(Buffer.from(person(v).birthDate.replaceAll("-", "")))).toBe(true);
    expect(JPKI_OID.name.startsWith("1.2.392.200149")).toBe(true);

    // The request is used up: the page is gone.
    expect((await browser.get(signing_url)).status).toBe(404);
  });

  it("keeps the holder's signing key and the root across a restart", async () => {
    const v = t.variants.second!;
    const sign = async () => {
      const created = await createRequest(subOf(v));
      const id = created.json.request_id as string;
      const browser = new Browser();
      const page = await (await browser.get(created.json.signing_url as string)).text();
      await browser.post(formAt(page), { pin: v.signPin!, action: "sign" });
      return (await result(id)).json;
    };
    const before = await sign();
    const rootBefore = await (await fetch(`${t.base}/jpki/root.pem`)).text();
    await t.restart();
    const after = await sign();
    expect(after.status).toBe("signed");
    expect(after.certificate).toBe(before.certificate);
    expect(await (await fetch(`${t.base}/jpki/root.pem`)).text()).toBe(rootBefore);
  });

  it("sends the holder back with access_denied on cancel", async () => {
    const created = await createRequest(subOf(t.variants.second!));
    const browser = new Browser();
    const page = await (await browser.get(created.json.signing_url as string)).text();
    const res = await browser.post(formAt(page), { action: "cancel" });
    const back = new URL(res.headers.get("location")!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect((await result(created.json.request_id as string)).json.status).toBe("cancelled");
  });
});

describe("signing refused", () => {
  it("for a child under 15 (no signing certificate)", async () => {
    const r = await createRequest(subOf(t.variants.child!));
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ error: "signing_unavailable", reason: "no_sign_cert" });
    expect(r.json.message).toContain("15歳未満");
  });

  it("for an expired signing certificate", async () => {
    const r = await createRequest(subOf(t.variants.expiredsign!));
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ reason: "cert_expired" });
    expect(r.json.message).toContain("有効期限");
  });

  it("for a revoked signing certificate (world file)", async () => {
    const r = await createRequest(subOf(t.variants.revokedsign!));
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ reason: "cert_revoked" });
  });

  it("for a suspended card", async () => {
    const r = await createRequest(subOf(t.variants.suspended!));
    expect(r.json).toMatchObject({ reason: "card_suspended" });
  });

  it("on the page, when the certificate is revoked after the request was made", async () => {
    const v = t.variants.revokelater!;
    const created = await createRequest(subOf(v));
    expect(created.status).toBe(201);
    const serial = person(v).card!.signCert!.serial;
    const revoke = await postJson(`${t.base}/jpki/certificates/${serial}/revoke`, {
      reason: "addressChange",
    });
    expect(revoke.status).toBe(200);
    const res = await new Browser().get(created.json.signing_url as string);
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain("失効");
    expect(page).toContain("error=signing_unavailable");
    expect((await result(created.json.request_id as string)).json).toMatchObject({
      status: "refused",
      reason: "cert_revoked",
    });
    expect((await createRequest(subOf(v))).json).toMatchObject({ reason: "cert_revoked" });
  });

  it("locks the signing certificate after five wrong PINs, also after a restart", async () => {
    const v = t.variants.locksign!;
    const created = await createRequest(subOf(v));
    const browser = new Browser();
    let page = await (await browser.get(created.json.signing_url as string)).text();
    for (let left = 4; left >= 1; left--) {
      const res = await browser.post(formAt(page), { pin: "Wrong0Pin", action: "sign" });
      expect(res.status).toBe(400);
      page = await res.text();
      expect(page).toContain(`あと${left}回`);
    }
    // A malformed password is not sent to the card and does not count.
    page = await (await browser.post(formAt(page), { pin: "short", action: "sign" })).text();
    expect(page).toContain("英数字6〜16文字");
    const locked = await browser.post(formAt(page), { pin: "Wrong0Pin", action: "sign" });
    expect(locked.status).toBe(403);
    expect(await locked.text()).toContain("ロックされています");
    expect((await result(created.json.request_id as string)).json).toMatchObject({
      status: "refused",
      reason: "cert_locked",
    });
    expect((await createRequest(subOf(v))).json).toMatchObject({ reason: "cert_locked" });
    await t.restart();
    expect((await createRequest(subOf(v))).json).toMatchObject({ reason: "cert_locked" });
    // The login (利用者証明用) is not affected by the signing lock.
    const config = await portalConfig(t);
    const { callback } = await cardLogin(t, config, v, "openid");
    expect(callback.searchParams.get("code")).toBeTruthy();
  });
});

describe("signing API authentication and validation", () => {
  const sub = () => subOf(t.variants.active!);

  it("refuses a request without a client assertion", async () => {
    const r = await postJson(`${t.cardIssuer}/signing/requests`, {
      sub: sub(),
      digest: digestOf("x"),
      description: "d",
      return_to: `${t.portalUrl}/x`,
    });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe("invalid_client");
  });

  it("refuses an assertion signed with another key", async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
      "sign",
      "verify",
    ]);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: t.portalKid })
      .setIssuer("juki-portal")
      .setSubject("juki-portal")
      .setAudience(t.cardIssuer)
      .setExpirationTime("60s")
      .setJti("another-key")
      .sign(privateKey);
    const r = await createRequest(sub(), {
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: jwt,
    });
    expect(r.status).toBe(401);
  });

  it("refuses a replayed assertion and a wrong audience", async () => {
    const assertion = await clientAssertion(t);
    expect((await createRequest(sub(), assertion)).status).toBe(201);
    expect((await createRequest(sub(), assertion)).status).toBe(401);
    expect((await createRequest(sub(), await clientAssertion(t, t.staffIssuer))).status).toBe(401);
  });

  it("validates digest, description, return_to and sub", async () => {
    expect((await createRequest(sub(), { digest: "abc" })).status).toBe(400);
    expect((await createRequest(sub(), { digest: Buffer.alloc(31).toString("base64url") })).status).toBe(400);
    expect((await createRequest(sub(), { digest: Buffer.alloc(33).toString("base64url") })).status).toBe(400);
    expect((await createRequest(sub(), { digest: `${digestOf("x")}=` })).status).toBe(400);
    expect((await createRequest(sub(), { description: "<b>x</b>" })).status).toBe(400);
    expect((await createRequest(sub(), { return_to: "http://127.0.0.1:1/elsewhere" })).status).toBe(400);
    expect((await createRequest("no-such-holder")).status).toBe(404);
  });

  it("answers 404 for an unknown request id", async () => {
    expect((await result("unknown")).status).toBe(404);
  });
});

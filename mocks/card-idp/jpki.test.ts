import { X509Certificate } from "node:crypto";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld } from "../../lib/world.js";
import {
  cardLogin,
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
const status = async (serial: string) => {
  const res = await fetch(`${t.base}/jpki/certificates/${serial}/status`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("root certificate", () => {
  it("is a self-signed CA certificate, published as PEM", async () => {
    const res = await fetch(`${t.base}/jpki/root.pem`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-pem-file");
    const root = new X509Certificate(await res.text());
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.subject).toContain("JPKI Mock Root CA");
  });
});

describe("revocation status", () => {
  it("answers for every certificate of the world, auth and sign", async () => {
    let answered = 0;
    for (const p of t.world.people) {
      if (!p.card) continue;
      const certs = [
        ["auth", p.card.authCert],
        ["sign", p.card.signCert],
      ] as const;
      for (const [kind, cert] of certs) {
        if (!cert) continue;
        const s = await status(cert.serial);
        expect(s.code).toBe(200);
        expect(s.body).toMatchObject({ serial: cert.serial, kind, expiresOn: cert.expiresOn });
        expect(["good", "revoked"]).toContain(s.body.status);
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(20);
  });

  it("also on the demo world file", async () => {
    const world = loadWorld();
    const demo = await startTestIdp({ world });
    try {
      for (const p of world.people) {
        for (const cert of [p.card?.authCert, p.card?.signCert]) {
          if (!cert) continue;
          const res = await fetch(`${demo.base}/jpki/certificates/${cert.serial}/status`);
          expect(res.status).toBe(200);
        }
      }
    } finally {
      await demo.close();
    }
  });

  it("reports world-file states from the start: revoked certificate, revoked card, expiry", async () => {
    const revokedSign = await status(person(t.variants.revokedsign!).card!.signCert!.serial);
    expect(revokedSign.body).toMatchObject({ status: "revoked", reason: "unspecified" });
    const revokedCard = await status(person(t.variants.revokedcard!).card!.authCert.serial);
    expect(revokedCard.body).toMatchObject({ status: "revoked", reason: "cardRevoked" });
    const expired = await status(person(t.variants.expiredsign!).card!.signCert!.serial);
    expect(expired.body).toMatchObject({ status: "good", expired: true });
    const good = await status(person(t.variants.active!).card!.signCert!.serial);
    expect(good.body).toMatchObject({ status: "good", expired: false });
    expect(good.body.revokedAt).toBeUndefined();
  });

  it("answers unknown for a serial it never issued", async () => {
    const s = await status("123");
    expect(s.code).toBe(404);
    expect(s.body).toEqual({ serial: "123", status: "unknown" });
  });
});

describe("revocation", () => {
  it("a change of address revokes the signing certificate only; it stays revoked after a restart", async () => {
    const v = t.variants.addressmove!;
    const { signCert, authCert } = person(v).card!;
    const res = await postJson(`${t.base}/jpki/certificates/${signCert!.serial}/revoke`, {
      reason: "addressChange",
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ serial: signCert!.serial, status: "revoked", reason: "addressChange" });
    const revokedAt = res.json.revokedAt as string;
    expect(new Date(revokedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await status(authCert.serial)).body.status).toBe("good");

    // Revoking again keeps the first date and reason.
    const again = await postJson(`${t.base}/jpki/certificates/${signCert!.serial}/revoke`, {
      reason: "keyCompromise",
    });
    expect(again.json).toMatchObject({ reason: "addressChange", revokedAt });

    await t.restart();
    expect((await status(signCert!.serial)).body).toMatchObject({ status: "revoked", revokedAt });

    // The holder can still log in (利用者証明用 stays valid), and the login says the signing
    // certificate is revoked.
    const config = await portalConfig(t);
    const { a, callback } = await cardLogin(t, config, v, "openid sign");
    const claims = (
      await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: a.verifier,
        expectedState: a.state,
        expectedNonce: a.nonce,
      })
    ).claims()!;
    expect(claims.sign_cert_status).toBe("revoked");
  });

  it("refuses an unknown reason and an unknown serial", async () => {
    const serial = person(t.variants.active!).card!.signCert!.serial;
    expect((await postJson(`${t.base}/jpki/certificates/${serial}/revoke`, { reason: "bored" })).status).toBe(
      400,
    );
    expect((await postJson(`${t.base}/jpki/certificates/${serial}/revoke`, {})).status).toBe(400);
    expect((await status(serial)).body.status).toBe("good");
    expect(
      (await postJson(`${t.base}/jpki/certificates/999/revoke`, { reason: "addressChange" })).status,
    ).toBe(404);
  });
});

import { createHash, X509Certificate } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CardTerminal,
  CardTerminalUnavailableError,
  cardTerminal,
} from "../../backoffice/cards/card-terminal.js";
import { devKeyPair, devSecret } from "../../lib/secrets.js";
import { CLIENT_ASSERTION_TYPE } from "./client-auth.js";
import { subjectFor } from "./holders.js";
import { signCertExpiry } from "./terminal.js";
import {
  Browser,
  clientAssertion,
  postJson,
  startTestIdp,
  type TestIdp,
  type Variant,
} from "./test-support.js";

let t: TestIdp;
let terminal: CardTerminal;

beforeAll(async () => {
  t = await startTestIdp();
  terminal = cardTerminal({
    baseUrl: t.base,
    privateJwk: devKeyPair(t.dataDir, "backoffice-oidc-client", "ES256").privateJwk,
  });
});
afterAll(async () => {
  await t?.close();
});

const cardIdOf = async (v: Variant) => {
  const list = await terminal.cards();
  const item = list.find((c) => c.name === v.name);
  if (!item) throw new Error(`no card for ${v.key}`);
  return item.cardId;
};
const person = (v: Variant) => t.world.people.find((p) => p.name.given === v.key)!;

describe("counter terminal: reading the card and the 利用者証明用 PIN", () => {
  it("lists every card of the world with an opaque id, the holder's name and the last 4 digits only", async () => {
    const list = await terminal.cards();
    const withCards = t.world.people.filter((p) => p.card);
    expect(list).toHaveLength(withCards.length);
    for (const item of list) {
      expect(item.cardId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(item.lastFour).toMatch(/^\d{4}$/);
      const text = JSON.stringify(item);
      for (const p of withCards) {
        expect(text).not.toContain(p.card!.cardNumber);
        expect(text).not.toContain(p.myNumber);
        expect(text).not.toContain(p.residentCode);
      }
    }
  });

  it("a right PIN returns the card's 基本4情報 and state, never the 住民票コード or 個人番号", async () => {
    const v = t.variants.active!;
    const out = await terminal.verify(await cardIdOf(v), v.authPin);
    expect(out.kind).toBe("verified");
    if (out.kind !== "verified") return;
    const p = person(v);
    expect(out.holder).toEqual({
      name: {
        family: p.name.family,
        given: p.name.given,
        familyKana: p.name.familyKana,
        givenKana: p.name.givenKana,
      },
      birthDate: p.birthDate,
      sex: p.sex,
      address: p.address.line,
    });
    expect(out.card.cardNumber).toBe(p.card!.cardNumber);
    expect(out.card.signCert.status).toBe("valid");
    const text = JSON.stringify(out);
    expect(text).not.toContain(p.myNumber);
    expect(text).not.toContain(p.residentCode);
  });

  it("a wrong PIN says how many tries are left; the third locks the certificate, also for login; unlock clears it", async () => {
    const v = t.variants.lockauth!;
    const cardId = await cardIdOf(v);
    const wrong = v.authPin === "0000" ? "1111" : "0000";
    expect(await terminal.verify(cardId, wrong)).toMatchObject({ kind: "pinMismatch", triesLeft: 2 });
    expect(await terminal.verify(cardId, wrong)).toMatchObject({ kind: "pinMismatch", triesLeft: 1 });
    expect(await terminal.verify(cardId, wrong)).toMatchObject({ kind: "refused", reason: "cert_locked" });
    // Locked: the right PIN no longer helps.
    expect(await terminal.verify(cardId, v.authPin)).toMatchObject({
      kind: "refused",
      reason: "cert_locked",
    });
    const serial = person(v).card!.authCert.serial;
    const status = await fetch(`${t.base}/jpki/certificates/${serial}/unlock`, { method: "POST" });
    expect(status.status).toBe(200);
    expect((await terminal.verify(cardId, v.authPin)).kind).toBe("verified");
  });

  it("a malformed PIN is not counted; a suspended or revoked card is refused before the PIN", async () => {
    const v = t.variants.second!;
    expect((await terminal.verify(await cardIdOf(v), "12ab")).kind).toBe("badPin");
    expect(await terminal.verify(await cardIdOf(v), v.authPin)).toMatchObject({ kind: "verified" });
    expect(
      await terminal.verify(await cardIdOf(t.variants.suspended!), t.variants.suspended!.authPin),
    ).toMatchObject({ kind: "refused", reason: "card_suspended" });
    expect(
      await terminal.verify(await cardIdOf(t.variants.revokedcard!), t.variants.revokedcard!.authPin),
    ).toMatchObject({ kind: "refused", reason: "card_revoked" });
    expect(await terminal.verify("A".repeat(43), "1234")).toEqual({ kind: "unknownCard" });
  });

  it("refuses a caller without the back office's client assertion (the portal's key is not enough)", async () => {
    const anonymous = await postJson(`${t.base}/card-terminal/cards`, {});
    expect(anonymous.status).toBe(401);
    const portal = await postJson(`${t.base}/card-terminal/cards`, {
      ...(await clientAssertion(t, `${t.base}/card-terminal`)),
    });
    expect(portal.status).toBe(401);
    const wrongAud = await new SignJWT({})
      .setProtectedHeader({
        alg: "ES256",
        kid: devKeyPair(t.dataDir, "backoffice-oidc-client", "ES256").privateJwk.kid,
      })
      .setIssuer("juki-backoffice")
      .setSubject("juki-backoffice")
      .setAudience(t.cardIssuer)
      .setIssuedAt()
      .setExpirationTime("60s")
      .setJti("x-1")
      .sign(t.backofficeKey);
    const res = await postJson(`${t.base}/card-terminal/cards`, {
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: wrongAud,
    });
    expect(res.status).toBe(401);
  });

  it("an unreachable terminal is a retryable error, not an answer", async () => {
    const down = cardTerminal({
      baseUrl: "http://127.0.0.1:9",
      privateJwk: devKeyPair(t.dataDir, "backoffice-oidc-client", "ES256").privateJwk,
      timeoutMs: 2_000,
    });
    await expect(down.cards()).rejects.toBeInstanceOf(CardTerminalUnavailableError);
  });
});

describe("counter terminal: a new 署名用電子証明書 after a change of address", () => {
  it("refuses while the certificate is valid, issues after revocation (idempotent), and signing works again with the new PIN, also after a restart", async () => {
    const v = t.variants.addressmove!;
    const p = person(v);
    const cardId = await cardIdOf(v);
    const address = { line: "東京都台東区浅草一丁目1番1号", prefecture: "東京都", city: "台東区" };
    // Still valid and the address has not changed: nothing to replace.
    const refused = await terminal.reissueSignCert({
      requestId: "r-valid",
      cardId,
      newPin: "NewPin2026",
      address: { line: p.address.line },
    });
    expect(refused).toMatchObject({ kind: "refused", reason: "sign_cert_valid" });

    const oldSerial = p.card!.signCert!.serial;
    const revoked = await fetch(`${t.base}/jpki/certificates/${oldSerial}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reason: "addressChange" }),
    });
    expect(revoked.status).toBe(200);

    const sub = subjectFor(devSecret(t.dataDir, "card-idp-sub-key"), p.id);
    const blocked = await postJson(`${t.cardIssuer}/signing/requests`, {
      ...(await clientAssertion(t)),
      sub,
      digest: createHash("sha256").update("before").digest("base64url"),
      description: "試験",
      return_to: `${t.portalUrl}/x`,
    });
    expect(blocked.json.reason).toBe("cert_revoked");

    expect(
      await terminal.reissueSignCert({ requestId: "r-1", cardId, newPin: "short", address }),
    ).toMatchObject({ kind: "badPin" });
    expect(
      await terminal.reissueSignCert({ requestId: "r-1", cardId, newPin: "onlyletters", address }),
    ).toMatchObject({ kind: "badPin" });
    const issued = await terminal.reissueSignCert({
      requestId: "r-1",
      cardId,
      newPin: "NewPin2026",
      address,
    });
    expect(issued).toMatchObject({ kind: "issued", repeated: false });
    if (issued.kind !== "issued") return;
    expect(issued.serial).not.toBe(oldSerial);
    expect(issued.expiresOn).toBe(signCertExpiry(p.birthDate, "2026-11-26", p.card!.expiresOn));
    const again = await terminal.reissueSignCert({ requestId: "r-1", cardId, newPin: "Other2026", address });
    expect(again).toMatchObject({ kind: "issued", serial: issued.serial, repeated: true });

    const status = await (await fetch(`${t.base}/jpki/certificates/${issued.serial}/status`)).json();
    expect(status).toMatchObject({ status: "good", kind: "sign" });
    const old = await (await fetch(`${t.base}/jpki/certificates/${oldSerial}/status`)).json();
    expect(old).toMatchObject({ status: "revoked", reason: "addressChange" });

    const sign = async (pin: string) => {
      const created = await postJson(`${t.cardIssuer}/signing/requests`, {
        ...(await clientAssertion(t)),
        sub,
        digest: createHash("sha256").update(`after ${pin}`).digest("base64url"),
        description: "試験",
        return_to: `${t.portalUrl}/x`,
      });
      expect(created.status).toBe(201);
      const { request_id, signing_url } = created.json as { request_id: string; signing_url: string };
      const browser = new Browser();
      const page = await (await browser.get(signing_url)).text();
      const action = new URL(/<form method="post" action="([^"]+)"/.exec(page)![1]!, t.base).href;
      await browser.post(action, { pin, action: "sign" });
      return postJson(`${t.cardIssuer}/signing/requests/${request_id}/result`, await clientAssertion(t));
    };
    const withOldPin = await sign(v.signPin!);
    expect(withOldPin.json.status).toBe("pending");
    const signed = await sign("NewPin2026");
    expect(signed.json.status).toBe("signed");
    expect(signed.json.certificate_serial).toBe(issued.serial);
    const cert = new X509Certificate(String(signed.json.certificate));
    expect(BigInt(`0x${cert.serialNumber}`).toString()).toBe(issued.serial);
    expect(cert.subject).toContain("台東区");

    await t.restart();
    const after = await (await fetch(`${t.base}/jpki/certificates/${issued.serial}/status`)).json();
    expect(after).toMatchObject({ status: "good", kind: "sign" });
    const repeat = await terminal.reissueSignCert({
      requestId: "r-1",
      cardId,
      newPin: "NewPin2026",
      address,
    });
    expect(repeat).toMatchObject({ kind: "issued", serial: issued.serial, repeated: true });
  });

  it("a valid certificate with the old address is revoked (addressChange) and replaced", async () => {
    const v = t.variants.revokelater!;
    const p = person(v);
    const oldSerial = p.card!.signCert!.serial;
    const issued = await terminal.reissueSignCert({
      requestId: "r-moved",
      cardId: await cardIdOf(v),
      newPin: "Moved2026",
      address: { line: "東京都台東区浅草二丁目2番2号" },
    });
    expect(issued).toMatchObject({ kind: "issued", repeated: false });
    const old = await (await fetch(`${t.base}/jpki/certificates/${oldSerial}/status`)).json();
    expect(old).toMatchObject({ status: "revoked", reason: "addressChange" });
    const again = await terminal.reissueSignCert({
      requestId: "r-moved-2",
      cardId: await cardIdOf(v),
      newPin: "Moved2027",
      address: { line: "東京都台東区浅草二丁目2番2号" },
    });
    expect(again).toMatchObject({ kind: "refused", reason: "sign_cert_valid" });
  });

  it("a valid certificate with the old name is revoked (nameChange) and replaced; the new one is kept when the update is heard", async () => {
    const v = t.variants.revokedauth!;
    const p = person(v);
    const oldSerial = p.card!.signCert!.serial;
    const name = { family: "改姓", given: p.name.given };
    const issued = await terminal.reissueSignCert({
      requestId: "r-renamed",
      cardId: await cardIdOf(v),
      newPin: "Renamed2026",
      address: { line: p.address.line },
      name,
    });
    expect(issued).toMatchObject({ kind: "issued", repeated: false });
    const old = await (await fetch(`${t.base}/jpki/certificates/${oldSerial}/status`)).json();
    expect(old).toMatchObject({ status: "revoked", reason: "nameChange" });
    // The 住基ネット's identity update with the new name arrives after the counter issued: kept.
    t.idp.identityChanged({ residentCode: p.residentCode, addressLine: p.address.line, name });
    if (issued.kind !== "issued") throw new Error("not issued");
    const fresh = await (await fetch(`${t.base}/jpki/certificates/${issued.serial}/status`)).json();
    expect(fresh).toMatchObject({ status: "good" });
  });

  it("no signing certificate for a child under 15", async () => {
    const v = t.variants.child!;
    const out = await terminal.reissueSignCert({
      requestId: "r-child",
      cardId: await cardIdOf(v),
      newPin: "Child2026",
      address: { line: "東京都台東区浅草一丁目1番1号" },
    });
    expect(out).toMatchObject({ kind: "refused", reason: "no_sign_cert" });
  });
});

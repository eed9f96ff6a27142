import "reflect-metadata";
import { KeyUsageFlags } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { applicationDigest, canonicalJson } from "./canonical.js";
import { createTestPki, type TestPki } from "./test-pki.js";
import { type RevocationStatus, verifySignedApplication } from "./verify.js";

const application = {
  kind: "moveOut",
  plannedMoveDate: "2026-12-10",
  destination: { lgCode: "131067", town: "上野", chome: 3, block: 1 },
  members: [{ familyName: "試験", givenName: "太郎", birthDate: "1985-04-12" }],
};
const at = new Date("2026-11-26T05:00:00Z");

let pki: TestPki;
let revocations: Map<string, RevocationStatus>;
const checkRevocation = async (serial: string) => revocations.get(serial) ?? { status: "unknown" };

beforeAll(async () => {
  pki = await createTestPki();
});

async function signedBy(serial: string, opts: Parameters<TestPki["issue"]>[0] = { serial }) {
  const holder = await pki.issue({ ...opts, serial });
  revocations.set(serial, revocations.get(serial) ?? { status: "good" });
  return { application, certificatePem: holder.certificatePem, ...holder.sign(application) };
}

describe("verifySignedApplication", () => {
  beforeAll(() => {
    revocations = new Map();
  });

  it("accepts an untouched application signed with a good certificate", async () => {
    const signed = await signedBy("3844990293259907");
    const result = await verifySignedApplication(signed, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at,
    });
    expect(result).toEqual({
      ok: true,
      serial: "3844990293259907",
      subject: expect.stringContaining("3844990293259907"),
    });
  });

  it("detects an application changed after signing (tampered)", async () => {
    const signed = await signedBy("1000000000000001");
    const changed = { ...signed, application: { ...application, plannedMoveDate: "2026-12-11" } };
    const result = await verifySignedApplication(changed, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at,
    });
    expect(result).toMatchObject({ ok: false, reason: "tampered" });
    // The same change with the digest recomputed to match is caught by the signature instead.
    const alsoDigest = { ...changed, digest: applicationDigest(changed.application) };
    const second = await verifySignedApplication(alsoDigest, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at,
    });
    expect(second).toMatchObject({ ok: false, reason: "badSignature" });
  });

  it("detects a certificate revoked before the moment checked, but not one revoked later", async () => {
    const signed = await signedBy("1570234643439986");
    revocations.set("1570234643439986", { status: "revoked", revokedAt: "2026-11-26T04:00:00Z" });
    const result = await verifySignedApplication(signed, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at,
    });
    expect(result).toMatchObject({ ok: false, reason: "revoked" });
    const before = await verifySignedApplication(signed, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at: new Date("2026-11-26T03:00:00Z"),
    });
    expect(before.ok).toBe(true);
    // Revoked with no date: revoked from the start.
    revocations.set("1570234643439986", { status: "revoked" });
    const always = await verifySignedApplication(signed, {
      trustedRootPem: pki.rootPem,
      checkRevocation,
      at: new Date("2026-01-01T00:00:00Z"),
    });
    expect(always).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("refuses a signature by another key, a foreign CA, an expired certificate and an unknown serial", async () => {
    const a = await signedBy("2000000000000001");
    const b = await signedBy("2000000000000002");
    const swapped = { ...a, signature: b.signature };
    expect(
      await verifySignedApplication(swapped, { trustedRootPem: pki.rootPem, checkRevocation, at }),
    ).toMatchObject({ ok: false, reason: "badSignature" });

    const foreign = await createTestPki("Someone else's root");
    const holder = await foreign.issue({ serial: "2000000000000003" });
    revocations.set("2000000000000003", { status: "good" });
    const alien = { application, certificatePem: holder.certificatePem, ...holder.sign(application) };
    expect(
      await verifySignedApplication(alien, { trustedRootPem: pki.rootPem, checkRevocation, at }),
    ).toMatchObject({ ok: false, reason: "untrustedChain" });

    const expired = await signedBy("2000000000000004", {
      serial: "2000000000000004",
      notAfter: new Date("2025-11-30T14:59:59Z"),
    });
    expect(
      await verifySignedApplication(expired, { trustedRootPem: pki.rootPem, checkRevocation, at }),
    ).toMatchObject({ ok: false, reason: "expired" });

    const unknown = await signedBy("2000000000000005");
    revocations.set("2000000000000005", { status: "unknown" });
    expect(
      await verifySignedApplication(unknown, { trustedRootPem: pki.rootPem, checkRevocation, at }),
    ).toMatchObject({ ok: false, reason: "untrustedChain" });

    const noSigning = await signedBy("2000000000000006", {
      serial: "2000000000000006",
      keyUsage: KeyUsageFlags.keyEncipherment,
    });
    expect(
      await verifySignedApplication(noSigning, { trustedRootPem: pki.rootPem, checkRevocation, at }),
    ).toMatchObject({ ok: false, reason: "untrustedChain" });
  });

  it("verifies whatever order the application's keys are stored in (canonical JSON)", async () => {
    const signed = await signedBy("3000000000000001");
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const reordered = reverseKeys(signed.application);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(application));
    expect(canonicalJson(reordered)).toBe(canonicalJson(application));
    const result = await verifySignedApplication(
      { ...signed, application: reordered },
      { trustedRootPem: pki.rootPem, checkRevocation, at },
    );
    expect(result.ok).toBe(true);
  });
});

describe("canonicalJson", () => {
  it("sorts keys by code unit, drops undefined, keeps array order and escapes strings", () => {
    expect(canonicalJson({ b: 1, a: [3, { d: true, c: null }], e: undefined, é: '"x"' })).toBe(
      '{"a":[3,{"c":null,"d":true}],"b":1,"é":"\\"x\\""}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });
});

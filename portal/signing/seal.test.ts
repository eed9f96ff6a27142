import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { devKeyPair } from "../../lib/secrets.js";
import { type SignedApplication, sealSignedApplication, unsealSignedApplication } from "./seal.js";

const dir = mkdtempSync(path.join(tmpdir(), "juki-seal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signed: SignedApplication = {
  application: { kind: "moveOut", members: [{ familyName: "墨田", givenName: "太郎" }] },
  digest: "q".repeat(43),
  signature: "MEUCIQ",
  signatureAlgorithm: "ECDSA-P256-SHA256",
  certificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
  chainPem: ["-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----"],
};

describe("sealing for the back office", () => {
  it("round-trips with the back office's private key and shows nothing in clear", async () => {
    const keys = devKeyPair(dir, "intake-sealing", "ECDH-ES+A256KW");
    const jwe = await sealSignedApplication(signed, keys.publicJwk);
    expect(jwe.split(".")).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toMatchObject({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: keys.publicJwk.kid,
    });
    const decoded = Buffer.from(jwe.replace(/\./g, ""), "base64url").toString("utf8");
    expect(decoded).not.toContain("墨田");
    expect(jwe).not.toContain(Buffer.from("墨田").toString("base64url"));
    expect(await unsealSignedApplication(jwe, keys.privateJwk)).toEqual(signed);
  });

  it("cannot be opened with another key", async () => {
    const keys = devKeyPair(dir, "intake-sealing", "ECDH-ES+A256KW");
    const other = devKeyPair(dir, "someone-else", "ECDH-ES+A256KW");
    const jwe = await sealSignedApplication(signed, keys.publicJwk);
    await expect(unsealSignedApplication(jwe, other.privateJwk)).rejects.toThrow();
  });
});

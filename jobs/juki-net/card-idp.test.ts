import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIdp, type TestIdp } from "../../mocks/card-idp/test-support.js";
import { revocationStatus, trustedRoot } from "./card-idp.js";
import { JukiNetRetryableError } from "./client.js";

/** The intake's view of the card IdP (docs/contracts/card-idp.md), against the IdP itself. */
let t: TestIdp;
beforeAll(async () => {
  t = await startTestIdp();
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const serialOf = (key: string) => t.world.people.find((p) => p.name.given === key)!.card!.signCert!.serial;

describe("card IdP for the intake", () => {
  it("reads the JPKI root", async () => {
    const pem = await trustedRoot(t.base);
    expect(new X509Certificate(pem).subject).toContain("JPKI Mock Root CA");
  });

  it("reads revocation status: good, revoked, unknown", async () => {
    expect((await revocationStatus(t.base, serialOf("active"))).status).toBe("good");
    expect((await revocationStatus(t.base, serialOf("revokedsign"))).status).toBe("revoked");
    expect((await revocationStatus(t.base, "999999999")).status).toBe("unknown");
    expect((await revocationStatus(t.base, "../root.pem")).status).toBe("unknown");
  });

  it("a card IdP that does not answer is a retryable error", async () => {
    await expect(trustedRoot("http://127.0.0.1:9")).rejects.toBeInstanceOf(JukiNetRetryableError);
  });
});

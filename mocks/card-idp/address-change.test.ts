import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorldPerson } from "../../lib/world.js";
import { startTestIdp, type TestIdp } from "./test-support.js";

/**
 * J-LIS revokes a 署名用電子証明書 when the holder's address changes (the 住基ネット stand-in
 * passes each identity update on: mocks/server.ts); the 利用者証明用 certificate stays valid.
 */
let t: TestIdp;
beforeAll(async () => {
  t = await startTestIdp();
});
afterAll(async () => {
  await t?.close();
});

const status = async (serial: string) =>
  (await (await fetch(`${t.base}/jpki/certificates/${serial}/status`)).json()) as {
    status: string;
    reason?: string;
    expired: boolean;
  };

describe("address change", () => {
  it("revokes the valid signing certificate of a person whose address changed; the same address keeps it", async () => {
    let moving: WorldPerson | undefined;
    for (const p of t.world.people) {
      if (!p.card?.signCert || p.card.status !== "active") continue;
      const s = await status(p.card.signCert.serial);
      if (s.status === "good" && !s.expired) moving = p;
    }
    if (!moving) throw new Error("the test world needs a card with a valid signing certificate");

    // The same address (a correction of something else, or an update heard before): kept.
    t.idp.addressChanged({ residentCode: moving.residentCode, addressLine: moving.address.line });
    expect((await status(moving.card!.signCert!.serial)).status).toBe("good");

    t.idp.addressChanged({ residentCode: moving.residentCode, addressLine: "東京都台東区上野三丁目5番2号" });
    expect(await status(moving.card!.signCert!.serial)).toMatchObject({
      status: "revoked",
      reason: "addressChange",
    });
    expect((await status(moving.card!.authCert.serial)).status).toBe("good");
    // Heard again (a repeated update): nothing more happens.
    t.idp.addressChanged({ residentCode: moving.residentCode, addressLine: "東京都台東区上野三丁目5番2号" });
    expect((await status(moving.card!.signCert!.serial)).status).toBe("revoked");
    // Someone without a card in the stand-in's world: ignored.
    expect(() => t.idp.addressChanged({ residentCode: "00000000000", addressLine: "x" })).not.toThrow();
  });
});

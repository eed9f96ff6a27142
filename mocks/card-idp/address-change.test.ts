import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld, type WorldPerson } from "../../lib/world.js";
import { startTestIdp, type TestIdp, testWorld } from "./test-support.js";

/**
 * J-LIS revokes a 署名用電子証明書 when the holder's address or name changes (the 住基ネット
 * stand-in passes each identity update on: mocks/server.ts); the 利用者証明用 certificate stays
 * valid.
 */
let t: TestIdp;
beforeAll(async () => {
  // The test world's holders share one 住民票コード; the two used here get their own (valid ones,
  // borrowed from the world file), so that a change heard for one touches no one else.
  const { world } = testWorld();
  const template = world.people[0]!.residentCode;
  const codes = loadWorld()
    .people.map((p) => p.residentCode)
    .filter((c) => c !== template);
  const own: Record<string, string> = {
    active: codes[0]!,
    second: codes[1]!,
    locksign: codes[2]!,
    lockauth: codes[3]!,
  };
  world.people = world.people.map((p) =>
    own[p.name.given] ? { ...p, residentCode: own[p.name.given]! } : p,
  );
  t = await startTestIdp({ world });
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

/** A test-world holder (a valid signing certificate) by its key, the given name. */
function holder(key: string): WorldPerson {
  const p = t.world.people.find((x) => x.name.given === key);
  if (!p?.card?.signCert) throw new Error(`the test world has no holder ${key} with a signing certificate`);
  return p;
}

describe("address or name change", () => {
  it("revokes the valid signing certificate of a person whose address changed; the same address keeps it", async () => {
    const moving = holder("active");
    expect((await status(moving.card!.signCert!.serial)).status).toBe("good");

    // The same address (a correction of something else, or an update heard before): kept.
    t.idp.identityChanged({ residentCode: moving.residentCode, addressLine: moving.address.line });
    expect((await status(moving.card!.signCert!.serial)).status).toBe("good");

    t.idp.identityChanged({ residentCode: moving.residentCode, addressLine: "東京都台東区上野三丁目5番2号" });
    expect(await status(moving.card!.signCert!.serial)).toMatchObject({
      status: "revoked",
      reason: "addressChange",
    });
    expect((await status(moving.card!.authCert.serial)).status).toBe("good");
    // Heard again (a repeated update): nothing more happens.
    t.idp.identityChanged({ residentCode: moving.residentCode, addressLine: "東京都台東区上野三丁目5番2号" });
    expect((await status(moving.card!.signCert!.serial)).status).toBe("revoked");
    // Someone without a card in the stand-in's world: ignored.
    expect(() => t.idp.identityChanged({ residentCode: "00000000000", addressLine: "x" })).not.toThrow();
  });

  it("revokes it when the name changes (nameChange), not when the same name and address are heard", async () => {
    const renamed = holder("second");
    const serial = renamed.card!.signCert!.serial;
    expect((await status(serial)).status).toBe("good");
    const same = { family: renamed.name.family, given: renamed.name.given };
    t.idp.identityChanged({
      residentCode: renamed.residentCode,
      addressLine: renamed.address.line,
      name: same,
    });
    expect((await status(serial)).status).toBe("good");
    t.idp.identityChanged({
      residentCode: renamed.residentCode,
      addressLine: renamed.address.line,
      name: { ...same, family: `${same.family}改` },
    });
    expect(await status(serial)).toMatchObject({ status: "revoked", reason: "nameChange" });
    expect((await status(renamed.card!.authCert.serial)).status).toBe("good");
  });

  it("revokes it when a correction changes the birth date (birthDateChange) or the sex (sexChange)", async () => {
    const corrected = holder("locksign");
    const same = {
      residentCode: corrected.residentCode,
      addressLine: corrected.address.line,
      name: { family: corrected.name.family, given: corrected.name.given },
      birthDate: corrected.birthDate,
      sex: corrected.sex,
    };
    t.idp.identityChanged(same);
    expect((await status(corrected.card!.signCert!.serial)).status).toBe("good");
    t.idp.identityChanged({ ...same, birthDate: "1980-05-06" });
    expect(await status(corrected.card!.signCert!.serial)).toMatchObject({
      status: "revoked",
      reason: "birthDateChange",
    });
    const other = holder("lockauth");
    t.idp.identityChanged({
      residentCode: other.residentCode,
      addressLine: other.address.line,
      sex: other.sex === "male" ? "female" : "male",
    });
    expect(await status(other.card!.signCert!.serial)).toMatchObject({
      status: "revoked",
      reason: "sexChange",
    });
  });
});

import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorldPerson } from "../../lib/world.js";
import { type Actor, actorFromWorld, ForbiddenError } from "../register/authorization.js";
import { death } from "../register/commands/index.js";
import { RegisterValidationError } from "../register/errors.js";
import { seedRegister, worldResidentId } from "../register/seed.js";
import { type RegisterFixture, registerFixture, requestKey } from "../register/test-support.js";
import { toWareki } from "../register/wareki.js";
import { issuancesOfResident } from "./certificates.queries.js";
import {
  type CertificateContext,
  CertificateRefusedError,
  type IssueCertificateInput,
  issueCertificate,
  verifyCertificate,
} from "./issue.js";
import { CERTIFICATE_FEE_YEN } from "./schema.js";
import { pdfInfo, pdfText, qpdfCheck } from "./test-support.js";

const TODAY = "2026-11-26";
let f: RegisterFixture;
let codeKey: Buffer;

const sq = (s: string) => s.replace(/[\s\u3000]+/g, "");
const text = (pdf: Uint8Array) => sq(pdfText(pdf));

function ctx(actor: Actor): CertificateContext {
  return { db: f.db, keys: f.keys, codeKey, actor, today: TODAY };
}

function staffOf(lgCode: string, role: "clerk" | "supervisor" | "auditor" | "admin"): Actor {
  const s = f.world.staff.find((x) => x.lgCode === lgCode && x.roles.length === 1 && x.roles[0] === role);
  if (!s) throw new Error(`the world file has no ${role} of ${lgCode}`);
  return actorFromWorld(f.world, s.id);
}

function findPerson(family: string, given: string): WorldPerson {
  const p = f.world.people.find((x) => x.name.family === family && x.name.given === given);
  if (!p) throw new Error(`the world file has no ${family} ${given}`);
  return p;
}

function householdOf(p: WorldPerson): WorldPerson[] {
  return f.world.people.filter((x) => x.lgCode === p.lgCode && x.householdId === p.householdId);
}

function request(p: WorldPerson, over: Partial<IssueCertificateInput> = {}): IssueCertificateInput {
  return {
    residentId: worldResidentId(p),
    form: "individual",
    items: {},
    requester: { kind: "self" },
    ...over,
  };
}

async function auditActions(
  lgCode: string,
  subject: string | null,
): Promise<{ action: string; detail: Record<string, unknown> }[]> {
  const rows = await sql<{ action: string; detail: Record<string, unknown> }>`
    select action, detail from audit.log
    where lg_code = ${lgCode} and (${subject}::text is null or subject = ${subject}) order by id`.execute(
    f.db,
  );
  return rows.rows;
}

async function lastAudit(lgCode: string) {
  const rows = await sql<{
    action: string;
    actor: string;
    subject: string | null;
    detail: Record<string, unknown>;
  }>`
    select action, actor, subject, detail from audit.log where lg_code = ${lgCode} order by id desc limit 1`.execute(
    f.db,
  );
  return rows.rows[0];
}

async function issuanceCount(): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from register.certificate_issuance`.execute(
    f.db,
  );
  return r.rows[0]!.n;
}

beforeAll(async () => {
  f = await registerFixture();
  await seedRegister(f.db, f.world, f.keys);
  codeKey = randomBytes(32);
});

afterAll(async () => {
  await f?.close();
});

describe("issueCertificate", () => {
  it("issues 墨田 太郎's household 住民票の写し: every member, head first, logged with its fee and audited", async () => {
    const taro = findPerson("墨田", "太郎");
    const members = householdOf(taro);
    const clerk = staffOf(taro.lgCode, "clerk");
    const issued = await issueCertificate(
      ctx(clerk),
      request(taro, { form: "household", items: { householdHead: true } }),
    );
    expect(qpdfCheck(issued.pdf)).toMatch(/No syntax or stream encoding errors/);
    expect(pdfInfo(issued.pdf).Title).toBe("住民票の写し");
    const t = text(issued.pdf);
    expect(t).toContain(sq("（世帯全員）"));
    expect(t).toContain(sq(taro.address.line));
    expect(t).toContain(sq(`世帯主 ${taro.name.family}　${taro.name.given}`));
    for (const m of members) {
      expect(t).toContain(sq(`${m.name.family}${m.name.given}`));
      expect(t).toContain(sq(toWareki(m.birthDate)));
      expect(t).toContain(sq(`続柄 ${m.relationship}`));
      expect(t).not.toContain(m.residentCode);
      expect(t).not.toContain(m.myNumber);
    }
    expect(t.indexOf(sq(`${taro.name.family}${taro.name.given}`))).toBeLessThan(
      Math.min(
        ...members.filter((m) => m !== taro).map((m) => t.indexOf(sq(`${m.name.family}${m.name.given}`))),
      ),
    );
    expect(t).toContain(sq(toWareki(TODAY)));
    expect(t).toContain(issued.certificateNumber);
    expect(t).toContain(issued.verificationCode);
    expect(issued.certificateNumber).toMatch(new RegExp(`^${taro.lgCode}-\\d{8}$`));
    expect(issued.fileName).toMatch(/^juminhyo-\d{6}-\d{8}\.pdf$/);

    const [row] = await issuancesOfResident(f.db, taro.lgCode, worldResidentId(taro));
    expect(row).toMatchObject({
      certificate_number: issued.certificateNumber,
      kind: "residentCertificate",
      form: "household",
      requester_kind: "self",
      fee_yen: CERTIFICATE_FEE_YEN,
      staff_id: clerk.staffId,
      staff_role: "clerk",
      issued_on: TODAY,
    });
    expect(CERTIFICATE_FEE_YEN).toBe(300);
    expect([...row!.member_ids].sort()).toEqual(members.map(worldResidentId).sort());
    expect(row!.items).toMatchObject({ householdHead: true, myNumber: false, residentCode: false });

    const audit = await lastAudit(taro.lgCode);
    expect(audit).toMatchObject({
      action: "certificate.issued",
      actor: clerk.staffId,
      subject: worldResidentId(taro),
    });
    expect(audit!.detail).toMatchObject({
      certificateNumber: issued.certificateNumber,
      feeYen: 300,
      form: "household",
    });
    // The audit row holds ids and flags, never names.
    expect(JSON.stringify(audit)).not.toContain(taro.name.family);
  });

  it("issues 業平 トメ's individual copy with her 和暦 birth date, and prints 住民票コード・個人番号 only when asked", async () => {
    const tome = findPerson("業平", "トメ");
    const clerk = staffOf(tome.lgCode, "clerk");
    const plain = await issueCertificate(ctx(clerk), request(tome));
    const t = text(plain.pdf);
    expect(t).toContain(sq(`${tome.name.family} ${tome.name.given}`));
    expect(t).toContain(sq(toWareki(tome.birthDate)));
    if (tome.birthDate === "1935-02-11") expect(t).toContain("昭和10年2月11日");
    expect(t).toContain(sq(tome.address.line));
    expect(t).toContain(sq("（世帯の一部）"));
    expect(t).not.toContain(tome.residentCode);
    expect(t).not.toContain(tome.myNumber);
    expect(t).not.toContain(sq(tome.honseki?.address ?? "本籍の記載なし"));
    expect(t).toContain(sq("省略した事項"));

    const full = await issueCertificate(
      ctx(clerk),
      request(tome, { items: { residentCode: true, myNumber: true, honseki: true } }),
    );
    const u = text(full.pdf);
    expect(u).toContain(`住民票コード${tome.residentCode}`);
    expect(u).toContain(`個人番号${tome.myNumber}`);
    if (tome.honseki) expect(u).toContain(sq(`本籍 ${tome.honseki.address}`));
    // The 個人番号 read is audited before the issuance.
    const actions = (await auditActions(tome.lgCode, worldResidentId(tome))).map((a) => a.action);
    expect(actions.slice(-2)).toEqual(["myNumber.read", "certificate.issued"]);
    expect(full.certificateNumber).not.toBe(plain.certificateNumber);
  });

  it("prints chosen members only in the 世帯の一部 form, and refuses someone from another household", async () => {
    const taro = findPerson("墨田", "太郎");
    const other = householdOf(taro).find((m) => m !== taro);
    if (!other) throw new Error("墨田 太郎's household needs a second member in the world file");
    const clerk = staffOf(taro.lgCode, "clerk");
    const alone = text((await issueCertificate(ctx(clerk), request(taro))).pdf);
    expect(alone).not.toContain(sq(`${other.name.family}${other.name.given}`));
    const two = await issueCertificate(ctx(clerk), request(taro, { memberIds: [worldResidentId(other)] }));
    expect(text(two.pdf)).toContain(sq(`${other.name.family}${other.name.given}`));
    expect(two.memberIds).toHaveLength(2);

    const stranger = f.world.people.find(
      (p) => p.lgCode === taro.lgCode && p.householdId !== taro.householdId,
    )!;
    const before = await issuanceCount();
    const err = await issueCertificate(
      ctx(clerk),
      request(taro, { memberIds: [worldResidentId(stranger)] }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegisterValidationError);
    expect((err as RegisterValidationError).fields).toHaveProperty("memberIds");
    expect(await issuanceCount()).toBe(before);
  });

  it("refuses a third party without a reason, or asking for 個人番号, and audits the refusal", async () => {
    const tome = findPerson("業平", "トメ");
    const clerk = staffOf(tome.lgCode, "clerk");
    const before = await issuanceCount();
    const noReason = await issueCertificate(
      ctx(clerk),
      request(tome, { requester: { kind: "thirdParty", name: "債権者株式会社" } }),
    ).catch((e: unknown) => e);
    expect(noReason).toBeInstanceOf(RegisterValidationError);
    expect((noReason as RegisterValidationError).fields).toHaveProperty("requester.reason");
    expect(await lastAudit(tome.lgCode)).toMatchObject({
      action: "certificate.refused",
      detail: { reason: "validation", fields: ["requester.reason"] },
    });

    const myNumber = await issueCertificate(
      ctx(clerk),
      request(tome, {
        items: { myNumber: true },
        requester: { kind: "thirdParty", name: "債権者株式会社", reason: "貸金債権の回収のため" },
      }),
    ).catch((e: unknown) => e);
    expect((myNumber as RegisterValidationError).fields).toHaveProperty("items.myNumber");
    expect(await issuanceCount()).toBe(before);

    const ok = await issueCertificate(
      ctx(clerk),
      request(tome, {
        requester: { kind: "thirdParty", name: "債権者株式会社", reason: "貸金債権の回収のため" },
      }),
    );
    const [row] = (await issuancesOfResident(f.db, tome.lgCode, worldResidentId(tome))).filter(
      (r) => r.certificate_number === ok.certificateNumber,
    );
    expect(row).toMatchObject({
      requester_kind: "thirdParty",
      requester_name: "債権者株式会社",
      reason: "貸金債権の回収のため",
      fee_yen: 300,
    });
  });

  it("refuses a third party for anyone under a support measure (支援措置), but not the person", async () => {
    const protectedPerson = f.world.people.find(
      (p) =>
        p.supportMeasure &&
        p.supportMeasure.since <= TODAY &&
        (p.supportMeasure.extendedUntil ?? p.supportMeasure.until ?? "9999-12-31") >= TODAY &&
        f.world.municipalities.some((m) => m.hosted && m.lgCode === p.lgCode),
    );
    if (!protectedPerson)
      throw new Error(`the world file needs a person under a support measure on ${TODAY}`);
    const clerk = staffOf(protectedPerson.lgCode, "clerk");
    const before = await issuanceCount();
    const err = await issueCertificate(
      ctx(clerk),
      request(protectedPerson, {
        requester: { kind: "thirdParty", name: "調査会社", reason: "所在の確認のため" },
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateRefusedError);
    expect((err as CertificateRefusedError).reason).toBe("supportMeasure");
    expect((err as Error).message).not.toContain(protectedPerson.name.family);
    expect(await issuanceCount()).toBe(before);
    expect(await lastAudit(protectedPerson.lgCode)).toMatchObject({
      action: "certificate.refused",
      subject: worldResidentId(protectedPerson),
      detail: { reason: "supportMeasure" },
    });

    const own = await issueCertificate(ctx(clerk), request(protectedPerson));
    expect(text(own.pdf)).toContain(sq(protectedPerson.name.family));
  });

  it("lets only clerks and supervisors of the record's municipality issue, and audits the others", async () => {
    const taro = findPerson("墨田", "太郎");
    const supervisor = staffOf(taro.lgCode, "supervisor");
    await expect(issueCertificate(ctx(supervisor), request(taro))).resolves.toMatchObject({ feeYen: 300 });
    const before = await issuanceCount();
    for (const role of ["auditor", "admin"] as const) {
      const actor = staffOf(taro.lgCode, role);
      const err = await issueCertificate(ctx(actor), request(taro)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as ForbiddenError).reason).toBe("role");
      expect(await lastAudit(taro.lgCode)).toMatchObject({
        action: "authorization.refused",
        actor: actor.staffId,
      });
    }
    const elsewhere = f.world.municipalities.find((m) => m.hosted && m.lgCode !== taro.lgCode);
    if (elsewhere) {
      const foreignClerk = staffOf(elsewhere.lgCode, "clerk");
      const err = await issueCertificate(ctx(foreignClerk), request(taro)).catch((e: unknown) => e);
      expect((err as ForbiddenError).reason).toBe("municipality");
    }
    const unknown = await issueCertificate(
      ctx(staffOf(taro.lgCode, "clerk")),
      request(taro, { residentId: "00000000-0000-4000-8000-000000000000" }),
    ).catch((e: unknown) => e);
    expect((unknown as CertificateRefusedError).reason).toBe("notFound");
    expect(await issuanceCount()).toBe(before);
  });

  it("issues a 除票の写し for a removed record, individual form only", async () => {
    // Someone who lives alone and is not needed by the other tests.
    const alone = f.world.people.find(
      (p) =>
        f.world.municipalities.some((m) => m.hosted && m.lgCode === p.lgCode) &&
        householdOf(p).length === 1 &&
        !p.supportMeasure &&
        !(p.name.family === "業平" && p.name.given === "トメ"),
    );
    if (!alone) throw new Error("the world file needs a hosted resident living alone");
    const clerk = staffOf(alone.lgCode, "clerk");
    const id = worldResidentId(alone);
    await death(
      { db: f.db, keys: f.keys, actor: clerk, today: TODAY },
      {
        requestKey: requestKey(),
        lgCode: alone.lgCode,
        residentId: id,
        diedOn: "2026-11-20",
        notifiedOn: TODAY,
      },
    );
    const household = await issueCertificate(ctx(clerk), request(alone, { form: "household" })).catch(
      (e: unknown) => e,
    );
    expect((household as RegisterValidationError).fields).toHaveProperty("form");

    const issued = await issueCertificate(ctx(clerk), request(alone));
    expect(issued.kind).toBe("removedRecordCertificate");
    expect(issued.fileName).toMatch(/^johyo-/);
    expect(pdfInfo(issued.pdf).Title).toBe("除票の写し");
    const t = text(issued.pdf);
    expect(t).toContain("除票の写し");
    expect(t).toContain(sq(`消除の年月日・事由 ${toWareki("2026-11-20")} 死亡`));
    expect(t).toContain(sq(`${alone.name.family}${alone.name.given}`));
    expect(t).toContain("この写しは、除票の原本と相違ないことを証明する。");
  });
});

describe("verifyCertificate", () => {
  it("says valid, and what it certifies, for an issued number and code; invalid for a tampered one", async () => {
    const taro = findPerson("墨田", "太郎");
    const clerk = staffOf(taro.lgCode, "clerk");
    const issued = await issueCertificate(ctx(clerk), request(taro, { form: "household" }));
    const ok = await verifyCertificate(ctx(clerk), {
      certificateNumber: issued.certificateNumber,
      code: issued.verificationCode.toLowerCase(),
    });
    expect(ok).toMatchObject({
      valid: true,
      certificateNumber: issued.certificateNumber,
      kindLabel: "住民票の写し",
      formLabel: "世帯全員",
      issuedOn: TODAY,
      memberCount: householdOf(taro).length,
      subjectName: `${taro.name.family}　${taro.name.given}`,
    });
    expect(await lastAudit(taro.lgCode)).toMatchObject({
      action: "certificate.verified",
      detail: { certificateNumber: issued.certificateNumber, valid: true },
    });

    const c = issued.verificationCode;
    const tampered = `${c.slice(0, -1)}${c.endsWith("0") ? "1" : "0"}`;
    const bad = await verifyCertificate(ctx(clerk), {
      certificateNumber: issued.certificateNumber,
      code: tampered,
    });
    expect(bad.valid).toBe(false);
    expect(await lastAudit(taro.lgCode)).toMatchObject({ detail: { valid: false } });

    const unknownNumber = await verifyCertificate(ctx(clerk), {
      certificateNumber: `${taro.lgCode}-99999999`,
      code: issued.verificationCode,
    });
    expect(unknownNumber.valid).toBe(false);
    // Another key (another deployment) cannot vouch for it.
    const otherKey = await verifyCertificate(
      { ...ctx(clerk), codeKey: randomBytes(32) },
      { certificateNumber: issued.certificateNumber, code: issued.verificationCode },
    );
    expect(otherKey.valid).toBe(false);
    const malformed = await verifyCertificate(ctx(clerk), { certificateNumber: "abc", code: "x" });
    expect(malformed).toMatchObject({ valid: false });

    const auditor = staffOf(taro.lgCode, "auditor");
    await expect(
      verifyCertificate(ctx(auditor), { certificateNumber: issued.certificateNumber, code: c }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("the issuance log is append-only for the back office's role", async () => {
    await expect(sql`update register.certificate_issuance set fee_yen = 0`.execute(f.db)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql`delete from register.certificate_issuance`.execute(f.db)).rejects.toThrow(
      /permission denied/,
    );
  });
});

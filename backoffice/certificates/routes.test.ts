import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorldPerson } from "../../lib/world.js";
import { action as pdfAction, loader as pdfLoader } from "../app/routes/certificates.$residentId.pdf.js";
import { action as verifyAction, loader as verifyLoader } from "../app/routes/certificates.verify.js";
import { action, loader } from "../app/routes/records.$residentId.certificate.js";
import { worldResidentId } from "../register/seed.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";
import { attachmentDisposition } from "./certificates.server.js";
import { pdfText, qpdfCheck } from "./test-support.js";

/** The certificate pages, through their loaders and actions: PDF headers, refusals, CSRF, roles. */

let office: TestBackoffice;

function findPerson(family: string, given: string): WorldPerson {
  const p = office.world.people.find((x) => x.name.family === family && x.name.given === given);
  if (!p) throw new Error(`the world file has no ${family} ${given}`);
  return p;
}

function staffId(lgCode: string, role: string): string {
  const s = office.world.staff.find(
    (x) => x.lgCode === lgCode && x.roles.length === 1 && x.roles[0] === role,
  );
  if (!s) throw new Error(`the world file has no ${role} of ${lgCode}`);
  return s.id;
}

type DataResult = { data: unknown; init: { status?: number; headers?: Record<string, string> } | null };

function isData(x: unknown): x is DataResult {
  return typeof x === "object" && x !== null && "data" in x && "init" in x;
}

/** Step 1: the form page's action (checks, and answers with the confirmation). */
async function confirm(residentId: string, cookie: string, form: Record<string, string | string[]>) {
  return run(() =>
    action({
      request: request(office, `/records/${residentId}/certificate`, { cookie, form }),
      context: office.context,
      params: { residentId },
    }),
  );
}

/** Step 2: the resource route that issues and answers with the PDF. */
async function post(residentId: string, cookie: string, form: Record<string, string | string[]>) {
  return run(() =>
    pdfAction({
      request: request(office, `/certificates/${residentId}/pdf`, { cookie, form }),
      context: office.context,
      params: { residentId },
    }),
  );
}

beforeAll(async () => {
  office = await createTestBackoffice({ seed: true });
});

afterAll(async () => {
  await office?.close();
});

describe("records.$residentId.certificate", () => {
  it("shows the form for the record, and answers the POST with the PDF as a no-store attachment", async () => {
    const taro = findPerson("墨田", "太郎");
    const id = worldResidentId(taro);
    const { cookie, csrf } = await loginAs(office, staffId(taro.lgCode, "clerk"));
    const page = await run(() =>
      loader({
        request: request(office, `/records/${id}/certificate`, { cookie }),
        context: office.context,
        params: { residentId: id },
      }),
    );
    expect(page).not.toBeInstanceOf(Response);
    const view = (page as Awaited<ReturnType<typeof loader>>).view;
    expect(view).toMatchObject({ residentId: id, kindLabel: "住民票の写し", supportMeasure: false });
    expect(view.members.length).toBe(
      office.world.people.filter((p) => p.lgCode === taro.lgCode && p.householdId === taro.householdId)
        .length,
    );

    const form = { csrf, form: "household", "items.householdHead": "on", "requester.kind": "self" };
    const confirmation = await confirm(id, cookie, form);
    expect(isData(confirmation)).toBe(true);
    const preview = (confirmation as DataResult).data as {
      preview: { members: { name: string }[]; feeYen: number };
    };
    expect(preview.preview.feeYen).toBe(300);
    expect(preview.preview.members[0]?.name).toBe(`${taro.name.family}　${taro.name.given}`);
    expect(preview.preview.members).toHaveLength(view.members.length);
    // Nothing issued by the confirmation step.
    expect(await office.db.selectFrom("register.certificate_issuance").select("id").execute()).toHaveLength(
      0,
    );

    const res = await post(id, cookie, form);
    expect(res).toBeInstanceOf(Response);
    const r = res as Response;
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toBe("application/pdf");
    expect(r.headers.get("Cache-Control")).toBe("no-store");
    const disposition = r.headers.get("Content-Disposition") ?? "";
    expect(disposition).toMatch(/^attachment; filename="juminhyo-\d{6}-\d{8}\.pdf"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toMatch(/^住民票の写し-\d{6}-\d{8}\.pdf$/);
    // No personal data in the file name.
    expect(disposition).not.toContain(encodeURIComponent(taro.name.family));
    const pdf = new Uint8Array(await r.arrayBuffer());
    expect(qpdfCheck(pdf)).toMatch(/No syntax or stream encoding errors/);
    const text = pdfText(pdf).replace(/[\s\u3000]+/g, "");
    expect(text).toContain(`${taro.name.family}${taro.name.given}`);
    expect(text).toContain("世帯全員");
  });

  it("answers bad input with the errors by field, and a support-measure refusal with a form error", async () => {
    const tome = findPerson("業平", "トメ");
    const { cookie, csrf } = await loginAs(office, staffId(tome.lgCode, "clerk"));
    const bad = await confirm(worldResidentId(tome), cookie, {
      csrf,
      form: "individual",
      "requester.kind": "thirdParty",
      "items.myNumber": "on",
    });
    expect(isData(bad)).toBe(true);
    const b = bad as DataResult;
    expect(b.init?.status).toBe(400);
    const errors = (b.data as { reply: { error: Record<string, string[]> } }).reply.error;
    expect(Object.keys(errors).sort()).toEqual(["items.myNumber", "requester.name", "requester.reason"]);

    const protectedPerson = office.world.people.find((p) => p.supportMeasure && p.lgCode === tome.lgCode);
    if (protectedPerson) {
      const thirdParty = {
        csrf,
        form: "individual",
        "requester.kind": "thirdParty",
        "requester.name": "調査会社",
        "requester.reason": "所在の確認のため",
      };
      const refused = await confirm(worldResidentId(protectedPerson), cookie, thirdParty);
      expect(isData(refused)).toBe(true);
      const rr = refused as DataResult;
      expect(rr.init?.status).toBe(403);
      expect((rr.data as { reply: { error: Record<string, string[]> } }).reply.error[""]?.[0]).toContain(
        "支援措置",
      );
      // Posted straight to the PDF route, the same refusal, as a page.
      const direct = (await post(worldResidentId(protectedPerson), cookie, thirdParty)) as Response;
      expect(direct.status).toBe(403);
      expect(direct.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(await direct.text()).toContain("支援措置");
    }
    const get = (await run(() =>
      pdfLoader({
        request: request(office, `/certificates/${worldResidentId(tome)}/pdf`, { cookie }),
        context: office.context,
        params: { residentId: worldResidentId(tome) },
      }),
    )) as Response;
    expect(get.status).toBe(302);
    expect(get.headers.get("Location")).toBe(`/records/${worldResidentId(tome)}/certificate`);
  });

  it("refuses a forged POST (CSRF), an auditor, and another municipality's record", async () => {
    const taro = findPerson("墨田", "太郎");
    const id = worldResidentId(taro);
    const clerk = await loginAs(office, staffId(taro.lgCode, "clerk"));
    const forged = await post(id, clerk.cookie, {
      csrf: "forged",
      form: "household",
      "requester.kind": "self",
    });
    expect((forged as Response).status).toBe(403);

    const auditor = await loginAs(office, staffId(taro.lgCode, "auditor"));
    const byAuditor = await post(id, auditor.cookie, {
      csrf: auditor.csrf,
      form: "household",
      "requester.kind": "self",
    });
    expect((byAuditor as Response).status).toBe(403);

    const other = office.world.municipalities.find((m) => m.hosted && m.lgCode !== taro.lgCode);
    if (other) {
      const foreign = await loginAs(office, staffId(other.lgCode, "clerk"));
      const page = await run(() =>
        loader({
          request: request(office, `/records/${id}/certificate`, { cookie: foreign.cookie }),
          context: office.context,
          params: { residentId: id },
        }),
      );
      expect((page as Response).status).toBe(404);
      const res = await post(id, foreign.cookie, {
        csrf: foreign.csrf,
        form: "household",
        "requester.kind": "self",
      });
      expect((res as Response).status).toBe(404);
    }
  });
});

describe("certificates.verify", () => {
  it("verifies the number and code printed on an issued certificate, by POST", async () => {
    const taro = findPerson("墨田", "太郎");
    const { cookie, csrf } = await loginAs(office, staffId(taro.lgCode, "clerk"));
    const res = (await post(worldResidentId(taro), cookie, {
      csrf,
      form: "individual",
      "requester.kind": "self",
    })) as Response;
    const text = pdfText(new Uint8Array(await res.arrayBuffer()));
    const number = /証明書番号\s+(\d{6}-\d{8})/.exec(text)?.[1];
    const code = /照合番号\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(text)?.[1];
    expect(number).toBeDefined();
    expect(code).toBeDefined();

    const page = await run(() =>
      verifyLoader({
        request: request(office, "/certificates/verify", { cookie }),
        context: office.context,
        params: {},
      }),
    );
    expect(page).toEqual({ csrf });
    const verify = (form: Record<string, string>) =>
      run(() =>
        verifyAction({
          request: request(office, "/certificates/verify", { cookie, form: { csrf, ...form } }),
          context: office.context,
          params: {},
        }),
      );
    const ok = (await verify({ certificateNumber: number!, code: code! })) as DataResult;
    expect((ok.data as { result: { valid: boolean } }).result).toMatchObject({
      valid: true,
      certificateNumber: number,
      kindLabel: "住民票の写し",
    });
    const tampered = `${code!.slice(0, -1)}${code!.endsWith("0") ? "1" : "0"}`;
    const bad = (await verify({ certificateNumber: number!, code: tampered })) as DataResult;
    expect((bad.data as { result: { valid: boolean } }).result.valid).toBe(false);
    const malformed = (await verify({ certificateNumber: "12", code: "" })) as DataResult;
    expect(malformed.init?.status).toBe(400);
  });
});

describe("attachmentDisposition", () => {
  it("keeps the plain filename ASCII and puts the Japanese one in filename*", () => {
    expect(attachmentDisposition("a.pdf")).toBe('attachment; filename="a.pdf"');
    expect(attachmentDisposition("juminhyo-1.pdf", "住民票の写し-1.pdf")).toBe(
      `attachment; filename="juminhyo-1.pdf"; filename*=UTF-8''${encodeURIComponent("住民票の写し-1.pdf")}`,
    );
    expect(attachmentDisposition('bad"\\名.pdf')).toBe('attachment; filename="bad___.pdf"');
  });
});

import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKeyPair } from "../../lib/secrets.js";
import { loader as homeLoader } from "../app/routes/_index.js";
import { action as statusAction, loader as statusLoader } from "../app/routes/applications.$id._index.js";
import { action as reviewAction, loader as reviewLoader } from "../app/routes/applications.$id.review.js";
import { loader as signedLoader } from "../app/routes/applications.$id.signed.js";
import { action as logoutAction } from "../app/routes/auth.logout.js";
import { action as moveOutAction, loader as moveOutLoader } from "../app/routes/move-out.js";
import { action as relocationAction } from "../app/routes/relocation.js";
import type { SigningResult } from "../auth/card-idp.server.js";
import type { CardClaims } from "../auth/claims.js";
import { unsealSignedApplication } from "../signing/seal.js";
import { createTestPki, type TestPki } from "../signing/test-pki.js";
import { verifySignedApplication } from "../signing/verify.js";
import { createTestPortal, HANAKO, loginAs, request, run, TARO, type TestPortal } from "../test-support.js";
import { isValidReceiptNumber } from "./receipt-number.js";

let portal: TestPortal;
let pki: TestPki;
/** The card IdP's signing API, played by the test: the holder signs whatever digest is asked. */
const signing = new Map<string, { sub: string; digest: string; override?: Partial<SigningResult> }>();

beforeAll(async () => {
  portal = await createTestPortal({ now: new Date("2026-11-26T01:00:00Z") });
  pki = await createTestPki();
  const holder = await pki.issue({ serial: "3844990293259907" });
  const idp = portal.services.cardIdp;
  idp.createSigningRequest = async (input) => {
    const requestId = `req-${signing.size + 1}`;
    signing.set(requestId, { sub: input.sub, digest: input.digest });
    return { kind: "created", requestId, signingUrl: `http://idp.test/card/signing/${requestId}` };
  };
  idp.fetchSigningResult = async (requestId) => {
    const r = signing.get(requestId);
    if (!r) throw new Error("unknown request");
    return {
      request_id: requestId,
      status: "signed",
      sub: r.sub,
      digest: r.digest,
      signature: holder.signDigest(r.digest),
      signature_algorithm: "ECDSA-P256-SHA256",
      certificate: holder.certificatePem,
      chain: [pki.rootPem],
      signed_at: "2026-11-26T01:00:00.000Z",
      ...r.override,
    };
  };
});
afterAll(async () => {
  await portal?.close();
});

const ctx = () => portal.context;

const moveOutForm = (csrf: string): Record<string, string> => ({
  csrf,
  plannedMoveDate: "2026-12-10",
  destination: "東京都台東区",
  town: "上野",
  chome: "3",
  block: "5",
  lot: "2",
  filerRelationship: "head",
  filerCardContinuedUse: "on",
  "members[0].familyName": "墨田",
  "members[0].givenName": "花子",
  "members[0].familyKana": "スミダ",
  "members[0].givenKana": "ハナコ",
  "members[0].birthDate": "1987-09-03",
  "members[0].relationship": "wife",
  "members[0].cardContinuedUse": "on",
  phone: "03-1234-5678",
  email: "taro@example.jp",
  plannedVisitDate: "2026-12-11",
});

/** Files a draft and signs it, as the browser would: form → review → IdP → back. */
async function fileAndSign(who: { cookie: string; csrf: string }): Promise<{ id: string; receipt: string }> {
  const saved = (await run(() =>
    moveOutAction({
      request: request(portal, "/move-out", { ...who, form: moveOutForm(who.csrf) }),
      params: {},
      context: ctx(),
    }),
  )) as Response;
  expect(saved.status).toBe(302);
  const id = saved.headers.get("location")!.match(/applications\/([0-9a-f-]{36})\/review/)![1]!;
  const toIdp = (await run(() =>
    reviewAction({
      request: request(portal, `/applications/${id}/review`, { ...who, form: { csrf: who.csrf } }),
      params: { id },
      context: ctx(),
    }),
  )) as Response;
  const requestId = toIdp.headers.get("location")!.split("/").pop()!;
  const back = (await run(() =>
    signedLoader({
      request: request(portal, `/applications/${id}/signed?request_id=${requestId}`, { cookie: who.cookie }),
      params: { id },
      context: ctx(),
    }),
  )) as Response;
  expect(back.headers.get("location")).toBe(`/applications/${id}?submitted=1`);
  const row = await portal.db
    .selectFrom("portal.application")
    .select(["receipt_number"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return { id, receipt: row.receipt_number! };
}

async function outboxFor(id: string) {
  const rows = await portal.db
    .selectFrom("portal.outbox")
    .select(["queue", "lg_code", "payload"])
    .orderBy("seq")
    .execute();
  return rows.filter((r) => (r.payload as { applicationId?: string }).applicationId === id);
}

describe("submission: signed, stored, numbered and enqueued in one go", () => {
  it("stores the signature and certificate, gives a 受付番号 and writes the sealed intake job", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const { id, receipt } = await fileAndSign(taro);
    expect(isValidReceiptNumber(receipt)).toBe(true);

    const page = (await run(() =>
      statusLoader({
        request: request(portal, `/applications/${id}?submitted=1`, taro),
        params: { id },
        context: ctx(),
      }),
    )) as Awaited<ReturnType<typeof statusLoader>>;
    expect(page).toMatchObject({
      receiptNumber: receipt,
      status: "received",
      justSubmitted: true,
      cancellable: true,
    });

    const jobs = await outboxFor(id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ queue: "intake", lg_code: "131075" });
    const payload = jobs[0]!.payload as { applicationId: string; kind: string; sealed: string };
    expect(payload).toMatchObject({ applicationId: id, kind: "moveOut" });
    // Nothing personal in clear on the queue.
    expect(JSON.stringify(payload)).not.toMatch(/墨田|花子|1987-09-03|03-1234-5678|taro@example/);

    // The back office opens it with its private key and verifies it against the JPKI root.
    const opened = await unsealSignedApplication(
      payload.sealed,
      devKeyPair(portal.dataDir, "intake-sealing", "ECDH-ES+A256KW").privateJwk,
    );
    expect(opened.application).toMatchObject({
      applicationId: id,
      kind: "moveOut",
      destination: { lgCode: "131067" },
    });
    const verdict = await verifySignedApplication(opened, {
      trustedRootPem: pki.rootPem,
      checkRevocation: async () => ({ status: "good" }),
      at: new Date("2026-11-26T01:00:00Z"),
    });
    expect(verdict.ok).toBe(true);
  });

  it("refuses a signing result that is not this holder's signature over this draft", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const saved = (await run(() =>
      moveOutAction({
        request: request(portal, "/move-out", { ...taro, form: moveOutForm(taro.csrf) }),
        params: {},
        context: ctx(),
      }),
    )) as Response;
    const id = saved.headers.get("location")!.split("/")[2]!;
    const toIdp = (await run(() =>
      reviewAction({
        request: request(portal, `/applications/${id}/review`, { ...taro, form: { csrf: taro.csrf } }),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    const requestId = toIdp.headers.get("location")!.split("/").pop()!;
    signing.get(requestId)!.override = { sub: "someone-else" };
    const back = (await run(() =>
      signedLoader({
        request: request(portal, `/applications/${id}/signed?request_id=${requestId}`, taro),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(back.headers.get("location")).toBe(`/applications/${id}/review?signing=failed`);
    // A request id that was never this draft's is refused too.
    const forged = (await run(() =>
      signedLoader({
        request: request(portal, `/applications/${id}/signed?request_id=req-1`, taro),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(forged.headers.get("location")).toBe(`/applications/${id}/review?signing=failed`);
    expect(await outboxFor(id)).toEqual([]);
  });
});

describe("cancellation", () => {
  it("「取り消す」 records 取消済み and enqueues the cancellation job in one transaction; only once", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const { id } = await fileAndSign(taro);
    const res = (await run(() =>
      statusAction({
        request: request(portal, `/applications/${id}`, {
          ...taro,
          form: { csrf: taro.csrf, intent: "cancel" },
        }),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(res.headers.get("location")).toBe(`/applications/${id}?cancel=done`);
    const jobs = await outboxFor(id);
    expect(jobs.map((j) => j.queue).sort()).toEqual(["cancellation", "intake"]);
    const history = await portal.db
      .selectFrom("portal.application_status_history")
      .select(["status", "actor"])
      .where("application_id", "=", id)
      .orderBy("id")
      .execute();
    expect(history).toEqual([
      { status: "received", actor: "resident" },
      { status: "cancelled", actor: "resident" },
    ]);
    const again = (await run(() =>
      statusAction({
        request: request(portal, `/applications/${id}`, {
          ...taro,
          form: { csrf: taro.csrf, intent: "cancel" },
        }),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(again.headers.get("location")).toBe(`/applications/${id}?cancel=tooLate`);
    expect(await outboxFor(id)).toHaveLength(2);
  });

  it("is refused once the counter has completed the application", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const { id } = await fileAndSign(taro);
    await portal.db
      .updateTable("portal.application")
      .set({ status: "completed" })
      .where("id", "=", id)
      .execute();
    const res = (await run(() =>
      statusAction({
        request: request(portal, `/applications/${id}`, {
          ...taro,
          form: { csrf: taro.csrf, intent: "cancel" },
        }),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(res.headers.get("location")).toBe(`/applications/${id}?cancel=tooLate`);
    expect((await outboxFor(id)).map((j) => j.queue)).toEqual(["intake"]);
  });
});

describe("resident A and resident B", () => {
  it("A can neither read nor cancel B's application, nor guess one: every id reads as not found", async () => {
    const hanako = await loginAs(portal, "sub-hanako", HANAKO);
    const { id } = await fileAndSign(hanako);
    const taro = await loginAs(portal, "sub-taro", TARO);
    for (const target of [id, crypto.randomUUID(), "../../etc", "1"]) {
      const read = await run(() =>
        statusLoader({
          request: request(portal, `/applications/${target}`, taro),
          params: { id: target },
          context: ctx(),
        }),
      );
      expect((read as Response).status, target).toBe(404);
      const review = await run(() =>
        reviewLoader({
          request: request(portal, `/applications/${target}/review`, taro),
          params: { id: target },
          context: ctx(),
        }),
      );
      expect((review as Response).status).toBe(404);
      const cancel = await run(() =>
        statusAction({
          request: request(portal, `/applications/${target}`, {
            ...taro,
            form: { csrf: taro.csrf, intent: "cancel" },
          }),
          params: { id: target },
          context: ctx(),
        }),
      );
      expect((cancel as Response).status).toBe(404);
    }
    const row = await portal.db
      .selectFrom("portal.application")
      .select("status")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("received");
    // A's home page lists A's applications only.
    const home = (await run(() =>
      homeLoader({ request: request(portal, "/", taro), params: {}, context: ctx() }),
    )) as Awaited<ReturnType<typeof homeLoader>>;
    expect(home.resident?.applications.map((a) => a.id)).not.toContain(id);
  });
});

describe("CSRF: every action checks the session's token", () => {
  it("refuses each action without the token or with another session's token", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const other = await loginAs(portal, "sub-hanako", HANAKO);
    const { id } = await fileAndSign(taro);
    const actions: [string, (csrf: string | undefined) => Promise<unknown>][] = [
      [
        "move-out",
        (csrf) =>
          moveOutAction({
            request: request(portal, "/move-out", {
              cookie: taro.cookie,
              form: { ...moveOutForm(""), ...(csrf ? { csrf } : {}) },
            }),
            params: {},
            context: ctx(),
          }),
      ],
      [
        "relocation",
        (csrf) =>
          relocationAction({
            request: request(portal, "/relocation", {
              cookie: taro.cookie,
              form: csrf ? { csrf } : { x: "1" },
            }),
            params: {},
            context: ctx(),
          }),
      ],
      [
        "review (sign)",
        (csrf) =>
          reviewAction({
            request: request(portal, `/applications/${id}/review`, {
              cookie: taro.cookie,
              form: csrf ? { csrf } : { x: "1" },
            }),
            params: { id },
            context: ctx(),
          }),
      ],
      [
        "cancel",
        (csrf) =>
          statusAction({
            request: request(portal, `/applications/${id}`, {
              cookie: taro.cookie,
              form: { intent: "cancel", ...(csrf ? { csrf } : {}) },
            }),
            params: { id },
            context: ctx(),
          }),
      ],
      [
        "logout",
        (csrf) =>
          logoutAction({
            request: request(portal, "/auth/logout", {
              cookie: taro.cookie,
              form: csrf ? { csrf } : { x: "1" },
            }),
            params: {},
            context: ctx(),
          }),
      ],
    ];
    for (const [name, act] of actions) {
      for (const csrf of [undefined, other.csrf, "x".repeat(43)]) {
        const res = (await run(() => act(csrf))) as Response;
        expect(res.status, `${name} with ${csrf ? "a wrong" : "no"} token`).toBe(403);
      }
    }
    // Nothing happened: still received, still logged in.
    const row = await portal.db
      .selectFrom("portal.application")
      .select("status")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("received");
    const ok = (await run(() =>
      statusAction({
        request: request(portal, `/applications/${id}`, {
          ...taro,
          form: { csrf: taro.csrf, intent: "cancel" },
        }),
        params: { id },
        context: ctx(),
      }),
    )) as Response;
    expect(ok.status).toBe(302);
  });
});

describe("the form page", () => {
  it("answers a bad submission with field errors (no JavaScript needed) and saves nothing", async () => {
    const taro = await loginAs(portal, "sub-taro", TARO);
    const before = await portal.db.selectFrom("portal.application").select("id").execute();
    const res = (await run(() =>
      moveOutAction({
        request: request(portal, "/move-out", {
          ...taro,
          form: { ...moveOutForm(taro.csrf), plannedVisitDate: "2026-12-12", town: "銀座" },
        }),
        params: {},
        context: ctx(),
      }),
    )) as unknown as { data: { error: Record<string, string[]> }; init: { status: number } };
    expect(res.init.status).toBe(400);
    expect(res.data.error).toMatchObject({
      plannedVisitDate: ["visit.weekend"],
      town: ["town.notInMunicipality"],
    });
    expect(await portal.db.selectFrom("portal.application").select("id").execute()).toHaveLength(
      before.length,
    );
  });

  it("tells a holder whose signing certificate has expired that they cannot file online, and refuses a forged post", async () => {
    const expired: CardClaims = {
      ...TARO,
      name: "押上 健",
      birthdate: "1990-11-30",
      sign_cert_expires_on: "2025-11-30",
    };
    const ken = await loginAs(portal, "sub-ken", expired);
    const page = (await run(() =>
      moveOutLoader({ request: request(portal, "/move-out", ken), params: {}, context: ctx() }),
    )) as Awaited<ReturnType<typeof moveOutLoader>>;
    expect(page.block).toBe("certExpired");
    const post = (await run(() =>
      moveOutAction({
        request: request(portal, "/move-out", { ...ken, form: moveOutForm(ken.csrf) }),
        params: {},
        context: ctx(),
      }),
    )) as Response;
    expect(post.status).toBe(403);
  });
});

describe("sessions", () => {
  it("end after 30 idle minutes and after 8 hours in all; logout deletes the session on the server", async () => {
    const start = new Date("2026-11-26T01:00:00Z");
    portal.setNow(start);
    const taro = await loginAs(portal, "sub-taro", TARO);
    const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
    const home = async () =>
      (await run(() =>
        homeLoader({ request: request(portal, "/", taro), params: {}, context: ctx() }),
      )) as Awaited<ReturnType<typeof homeLoader>>;
    // Active every 25 minutes: still in at 7 h 55 min, out after 8 h.
    for (let m = 25; m < 480; m += 25) {
      portal.setNow(at(m));
      expect((await home()).resident, `at ${m} min`).not.toBeNull();
    }
    portal.setNow(at(481));
    expect((await home()).resident).toBeNull();

    portal.setNow(start);
    const idle = await loginAs(portal, "sub-taro", TARO);
    portal.setNow(at(31));
    const after = (await run(() =>
      homeLoader({ request: request(portal, "/", idle), params: {}, context: ctx() }),
    )) as Awaited<ReturnType<typeof homeLoader>>;
    expect(after.resident).toBeNull();

    portal.setNow(start);
    const leaving = await loginAs(portal, "sub-taro", TARO);
    const out = (await run(() =>
      logoutAction({
        request: request(portal, "/auth/logout", { ...leaving, form: { csrf: leaving.csrf } }),
        params: {},
        context: ctx(),
      }),
    )) as Response;
    expect(out.headers.get("set-cookie")).toMatch(/juki_session=; .*Max-Age=0/);
    const again = (await run(() =>
      homeLoader({ request: request(portal, "/", leaving), params: {}, context: ctx() }),
    )) as Awaited<ReturnType<typeof homeLoader>>;
    expect(again.resident).toBeNull();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as rootLoader } from "../app/root.js";
import { action as logout } from "../app/routes/auth.logout.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";
import { assertCsrf, commandContext, requireStaff, safeNext, sessionManager } from "./session.server.js";

let office: TestBackoffice;

beforeAll(async () => {
  office = await createTestBackoffice();
});
afterAll(async () => {
  await office?.close();
});

const START = new Date("2026-11-26T01:00:00Z");
const minutes = (n: number) => new Date(START.getTime() + n * 60_000);

describe("staff sessions", () => {
  it("no session → the login page, remembering where the staff member wanted to go", async () => {
    office.setNow(START);
    const res = await run(() => requireStaff(office.services, request(office, "/records?q=1")));
    expect(res).toBeInstanceOf(Response);
    const r = res as Response;
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/records?q=1")}`);
  });

  it("a session gives the staff member, their municipality and roles", async () => {
    office.setNow(START);
    const { cookie } = await loginAs(office, "taito-clerk");
    const staff = await requireStaff(office.services, request(office, "/", { cookie }));
    expect(staff).toMatchObject({
      staffId: "taito-clerk",
      lgCode: "131067",
      municipalityName: "台東区",
      roles: ["clerk"],
    });
    const ctx = commandContext(office.services, staff);
    expect(ctx.actor).toEqual({ staffId: "taito-clerk", lgCode: "131067", roles: ["clerk"] });
    expect(ctx.today).toBe("2026-11-26");
  });

  it("ends after 30 minutes without a request, and the row is gone", async () => {
    office.setNow(START);
    const { cookie } = await loginAs(office, "sumida-clerk");
    office.setNow(minutes(29));
    await requireStaff(office.services, request(office, "/", { cookie }));
    office.setNow(minutes(29 + 31));
    const res = await run(() => requireStaff(office.services, request(office, "/", { cookie })));
    expect((res as Response).status).toBe(302);
    const rows = await office.db.selectFrom("staff.session").select("staff_id").execute();
    expect(rows.filter((r) => r.staff_id === "sumida-clerk")).toHaveLength(0);
  });

  it("ends 8 hours after login even when used all the time", async () => {
    office.setNow(START);
    const { cookie } = await loginAs(office, "sumida-supervisor");
    for (let m = 25; m < 8 * 60; m += 25) {
      office.setNow(minutes(m));
      await requireStaff(office.services, request(office, "/", { cookie }));
    }
    office.setNow(minutes(8 * 60 + 1));
    const res = await run(() => requireStaff(office.services, request(office, "/", { cookie })));
    expect((res as Response).status).toBe(302);
  });

  it("refuses a role the page does not allow with a Japanese 403", async () => {
    office.setNow(START);
    const { cookie } = await loginAs(office, "sumida-clerk");
    const res = await run(() =>
      requireStaff(office.services, request(office, "/audit", { cookie }), { roles: ["auditor"] }),
    );
    expect((res as Response).status).toBe(403);
    expect(await (res as Response).text()).toContain("権限がありません");
  });

  it("checks the CSRF token of forms", async () => {
    office.setNow(START);
    const { cookie, csrf } = await loginAs(office, "sumida-clerk");
    const staff = await requireStaff(office.services, request(office, "/", { cookie }));
    const good = new FormData();
    good.set("csrf", csrf);
    expect(() => assertCsrf(staff, good)).not.toThrow();
    const bad = new FormData();
    bad.set("csrf", `${csrf.slice(0, -1)}x`);
    let thrown: unknown;
    try {
      assertCsrf(staff, bad);
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Response).status).toBe(403);
  });

  it("logout needs the CSRF token and ends the session on the server", async () => {
    office.setNow(START);
    const { cookie, csrf } = await loginAs(office, "taito-supervisor");
    const refused = await run(() =>
      logout({
        request: request(office, "/auth/logout", { cookie, form: { csrf: "wrong" } }),
        context: office.context,
        params: {},
      }),
    );
    expect((refused as Response).status).toBe(403);
    await requireStaff(office.services, request(office, "/", { cookie }));
    const res = (await run(() =>
      logout({
        request: request(office, "/auth/logout", { cookie, form: { csrf } }),
        context: office.context,
        params: {},
      }),
    )) as Response;
    expect(res.status).toBe(302);
    expect(res.headers.get("set-cookie")).toMatch(
      /^juki_staff_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
    );
    const after = await run(() => requireStaff(office.services, request(office, "/", { cookie })));
    expect((after as Response).status).toBe(302);
  });

  it("the root loader shows who is logged in (and nothing when nobody is)", async () => {
    office.setNow(START);
    const { cookie } = await loginAs(office, "sumida-auditor");
    const data = await rootLoader({
      request: request(office, "/", { cookie }),
      context: office.context,
      params: {},
    });
    expect(data.staff).toMatchObject({
      name: "監査 三子",
      roleLabel: "監査担当",
      municipalityName: "墨田区",
    });
    const anon = await rootLoader({
      request: request(office, "/login"),
      context: office.context,
      params: {},
    });
    expect(anon.staff).toBeNull();
  });

  it("issues a new id at login and ends the session the browser came with (no fixation)", async () => {
    office.setNow(START);
    const { cookie: old } = await loginAs(office, "taito-clerk");
    const { setCookie } = await sessionManager(office.services).create(
      request(office, "/auth/callback", { cookie: old }),
      {
        staffId: "taito-clerk",
        lgCode: "131067",
        name: "窓口 一郎",
        roles: ["clerk"],
        idToken: null,
      },
    );
    expect(setCookie).toMatch(/^juki_staff_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const fresh = setCookie.split(";")[0]!;
    expect(fresh).not.toBe(old);
    expect(
      (await run(() => requireStaff(office.services, request(office, "/", { cookie: old })))) as Response,
    ).toHaveProperty("status", 302);
    const staff = await requireStaff(office.services, request(office, "/", { cookie: fresh }));
    expect(staff.staffId).toBe("taito-clerk");
  });

  it("uses a __Host- cookie with Secure when served over https", async () => {
    const https = await createTestBackoffice({ publicUrl: "https://backoffice.example" });
    try {
      const { setCookie } = await sessionManager(https.services).create(request(https, "/auth/callback"), {
        staffId: "sumida-clerk",
        lgCode: "131075",
        name: "窓口 一郎",
        roles: ["clerk"],
        idToken: null,
      });
      expect(setCookie).toMatch(
        /^__Host-juki_staff_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      const staff = await requireStaff(
        https.services,
        request(https, "/", { cookie: setCookie.split(";")[0]! }),
      );
      expect(staff.staffId).toBe("sumida-clerk");
    } finally {
      await https.close();
    }
  });

  it("only returns to paths of this app after login", () => {
    expect(safeNext("/records/abc")).toBe("/records/abc");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});

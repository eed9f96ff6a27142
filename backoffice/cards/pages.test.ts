import { createElement } from "react";
import { renderToString } from "react-dom/server";
import type { RouteObject } from "react-router-dom";
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as findAction } from "../app/routes/cards._index.js";
import * as cardsPage from "../app/routes/cards.$residentId.js";
import { action as cardAction, loader as cardLoader } from "../app/routes/cards.$residentId.js";
import * as identityPage from "../app/routes/reservations.$id.identity.js";
import {
  action as identityAction,
  loader as identityLoader,
} from "../app/routes/reservations.$id.identity.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../test-support.js";
import { setCardServices } from "./services.server.js";
import {
  cardIdOf,
  jlisClient,
  type MoverKey,
  moveMoversIn,
  type Outside,
  reservationFor,
  startOutside,
} from "./test-support.js";

/** The card pages through their loaders and actions: staff, CSRF, forms, results, refusals. */

let office: TestBackoffice;
let outside: Outside;
let staff: { clerk: string; auditor: string; otherClerk: string };
let lgCode: string;
let residents: Record<MoverKey, string>;

type Answer = { status: number; body: Record<string, unknown> | string; headers?: Headers };
async function call(fn: () => Promise<unknown>): Promise<Answer> {
  const out = await run(fn);
  if (out instanceof Response) return { status: out.status, body: await out.text(), headers: out.headers };
  const d = out as { type?: string; data?: unknown; init?: { status?: number; headers?: HeadersInit } };
  if (d?.type === "DataWithResponseInit")
    return {
      status: d.init?.status ?? 200,
      body: d.data as Record<string, unknown>,
      headers: new Headers(d.init?.headers),
    };
  return { status: 200, body: out as Record<string, unknown> };
}

beforeAll(async () => {
  office = await createTestBackoffice({ seed: true, now: new Date("2026-11-26T01:00:00Z") });
  const hosted = office.world.municipalities.filter((m) => m.hosted);
  const m = hosted.find(
    (x) =>
      office.world.staff.some((s) => s.lgCode === x.lgCode && s.roles.includes("clerk")) &&
      office.world.staff.some((s) => s.lgCode === x.lgCode && s.roles.includes("auditor")),
  );
  const other = office.world.staff.find((s) => s.lgCode !== m?.lgCode && s.roles.includes("clerk"));
  if (!m || !other) throw new Error("the world file needs two hosted municipalities with staff");
  lgCode = m.lgCode;
  staff = {
    clerk: office.world.staff.find((s) => s.lgCode === lgCode && s.roles.includes("clerk"))!.id,
    auditor: office.world.staff.find((s) => s.lgCode === lgCode && s.roles.includes("auditor"))!.id,
    otherClerk: other.id,
  };
  outside = await startOutside(office.world);
  setCardServices(office.services, {
    terminal: outside.terminal,
    network: outside.network,
    jlis: jlisClient(outside),
  });
  const clerk = office.world.staff.find((s) => s.id === staff.clerk)!;
  residents = await moveMoversIn(
    {
      ...outside,
      f: {
        db: office.db,
        keys: office.services.keys,
        municipality: m,
        clerk: { staffId: clerk.id, lgCode, roles: [...clerk.roles] },
      },
    },
    "2026-11-26",
  );
});
afterAll(async () => {
  await outside?.close();
  await office?.close();
});

const reservation = () => reservationFor({ ...outside, f: { db: office.db, municipality: { lgCode } } });

describe("本人確認 page", () => {
  it("shows the cards on the counter and the reservation's people; the PIN goes in a POST body only", async () => {
    const id = await reservation();
    const { cookie, csrf } = await loginAs(office, staff.clerk);
    const page = await call(() =>
      identityLoader({
        request: request(office, `/reservations/${id}/identity`, { cookie }),
        params: { id },
        context: office.context,
      }),
    );
    expect(page.status).toBe(200);
    expect(page.headers?.get("cache-control")).toBe("no-store");
    const body = page.body as {
      cards: { value: string; label: string }[];
      reservation: { people: string[] };
    };
    expect(body.cards.length).toBeGreaterThan(0);
    expect(body.cards.every((c) => /末尾 \d{4}$/.test(c.label))).toBe(true);
    expect(body.reservation.people).toContain("札所 有効");

    const m = outside.movers.active;
    const cardId = await cardIdOf(outside, m);
    const noCsrf = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie,
          form: { requestKey: "k-12345678", cardId, pin: m.authPin },
        }),
        params: { id },
        context: office.context,
      }),
    );
    expect(noCsrf.status).toBe(403);

    const ok = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie,
          form: { csrf, requestKey: "k-ok-12345678", cardId, pin: m.authPin },
        }),
        params: { id },
        context: office.context,
      }),
    );
    expect(ok.status).toBe(200);
    expect((ok.body as { result: { outcome: string } }).result.outcome).toBe("matched");
    expect(JSON.stringify(ok.body)).not.toContain(`"${m.authPin}"`);
    const after = await call(() =>
      identityLoader({
        request: request(office, `/reservations/${id}/identity`, { cookie }),
        params: { id },
        context: office.context,
      }),
    );
    expect((after.body as { checks: { outcome: string; checkedBy: string }[] }).checks).toEqual([
      expect.objectContaining({ outcome: "matched", checkedBy: staff.clerk }),
    ]);
  });

  it("a bad PIN is a field error tied to the PIN field; a mismatch lists what differs", async () => {
    const id = await reservationFor(
      { ...outside, f: { db: office.db, municipality: { lgCode } } },
      (people) => {
        people[0]!.birthDate = "1999-01-01";
      },
    );
    const { cookie, csrf } = await loginAs(office, staff.clerk);
    const cardId = await cardIdOf(outside, outside.movers.active);
    const bad = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie,
          form: { csrf, requestKey: "k-bad-12345678", cardId, pin: "12" },
        }),
        params: { id },
        context: office.context,
      }),
    );
    expect(bad.status).toBe(400);
    expect((bad.body as { reply: { error: Record<string, string[]> } }).reply.error.pin?.[0]).toContain(
      "4桁",
    );
    const mismatch = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie,
          form: { csrf, requestKey: "k-mis-12345678", cardId, pin: outside.movers.active.authPin },
        }),
        params: { id },
        context: office.context,
      }),
    );
    const result = (mismatch.body as { result: { outcome: string; mismatches: { label: string }[] } }).result;
    expect(result.outcome).toBe("mismatch");
    expect(result.mismatches.map((x) => x.label)).toEqual(["生年月日"]);
  });

  it("an auditor gets 403; staff of another municipality get 404 (its reservations are not revealed)", async () => {
    const id = await reservation();
    const auditor = await loginAs(office, staff.auditor);
    const a = await call(() =>
      identityLoader({
        request: request(office, `/reservations/${id}/identity`, { cookie: auditor.cookie }),
        params: { id },
        context: office.context,
      }),
    );
    expect(a.status).toBe(403);
    const other = await loginAs(office, staff.otherClerk);
    const o = await call(() =>
      identityLoader({
        request: request(office, `/reservations/${id}/identity`, { cookie: other.cookie }),
        params: { id },
        context: office.context,
      }),
    );
    expect(o.status).toBe(404);
    const post = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie: other.cookie,
          form: {
            csrf: other.csrf,
            requestKey: "k-other-12345678",
            cardId: "A".repeat(43),
            pin: "1234",
          },
        }),
        params: { id },
        context: office.context,
      }),
    );
    expect(post.status).toBe(403);
  });
});

describe("card processing pages", () => {
  it("finds the resident by 住民票コード in a POST and redirects to a URL without it", async () => {
    const { cookie, csrf } = await loginAs(office, staff.clerk);
    const code = outside.movers.active.person.residentCode;
    const res = await call(() =>
      findAction({
        request: request(office, "/cards", { cookie, form: { csrf, residentCode: code } }),
        params: {},
        context: office.context,
      }),
    );
    expect(res.status).toBe(302);
    const location = res.headers?.get("location") ?? "";
    expect(location).toBe(`/cards/${residents.active}`);
    expect(location).not.toContain(code);
  });

  it("継続利用 through the form is accepted; when J-LIS fails the form keeps its key and the resend completes it", async () => {
    const { cookie, csrf } = await loginAs(office, staff.clerk);
    const m = outside.movers.active;
    const cardId = await cardIdOf(outside, m);
    const residentId = residents.active;
    const page = await call(() =>
      cardLoader({
        request: request(office, `/cards/${residentId}`, { cookie }),
        params: { residentId },
        context: office.context,
      }),
    );
    expect(page.status).toBe(200);
    expect((page.body as { moveIn: { deadline: string } }).moveIn.deadline).toBe("2027-02-24");

    const post = (form: Record<string, string>) =>
      call(() =>
        cardAction({
          request: request(office, `/cards/${residentId}`, { cookie, form: { csrf, ...form } }),
          params: { residentId },
          context: office.context,
        }),
      );
    const missingPin = await post({ requestKey: "c-1-12345678", operation: "continuedUse", cardId });
    expect(missingPin.status).toBe(400);
    expect((missingPin.body as { reply: { error: Record<string, string[]> } }).reply.error.pin).toBeDefined();

    const ok = await post({ requestKey: "c-2-12345678", operation: "continuedUse", cardId, pin: m.authPin });
    expect(ok.status).toBe(200);
    expect((ok.body as { result: { status: string } }).result.status).toBe("accepted");
    expect(JSON.stringify(ok.body)).not.toContain(`"${m.authPin}"`);

    outside.jlis.setFault("card-operation", { mode: "fail" });
    const failed = await post({ requestKey: "c-3-12345678", operation: "surfaceUpdate", cardId });
    outside.jlis.setFault("card-operation", null);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ result: { status: "pending" }, nextKey: "c-3-12345678" });
    const resent = await post({ requestKey: "c-3-12345678", operation: "surfaceUpdate", cardId });
    expect(resent.body).toMatchObject({ result: { status: "accepted", attempts: 2 } });

    const history = await call(() =>
      cardLoader({
        request: request(office, `/cards/${residentId}`, { cookie }),
        params: { residentId },
        context: office.context,
      }),
    );
    const ops = (history.body as { operations: { operation: string; status: string }[] }).operations;
    expect(ops.map((o) => `${o.operation}:${o.status}`).sort()).toEqual([
      "continuedUse:accepted",
      "surfaceUpdate:accepted",
    ]);
  });

  it("an auditor is refused; staff of another municipality see 404 and cannot post", async () => {
    const residentId = residents.spare;
    const auditor = await loginAs(office, staff.auditor);
    const a = await call(() =>
      cardLoader({
        request: request(office, `/cards/${residentId}`, { cookie: auditor.cookie }),
        params: { residentId },
        context: office.context,
      }),
    );
    expect(a.status).toBe(403);
    const other = await loginAs(office, staff.otherClerk);
    const o = await call(() =>
      cardLoader({
        request: request(office, `/cards/${residentId}`, { cookie: other.cookie }),
        params: { residentId },
        context: office.context,
      }),
    );
    expect(o.status).toBe(404);
    const cardId = await cardIdOf(outside, outside.movers.spare);
    const post = await call(() =>
      cardAction({
        request: request(office, `/cards/${residentId}`, {
          cookie: other.cookie,
          form: { csrf: other.csrf, requestKey: "c-x-12345678", operation: "abolish", cardId },
        }),
        params: { residentId },
        context: office.context,
      }),
    );
    expect(post.status).toBe(403);
    const card = await (
      await fetch(`${outside.jlisUrl}/cards/${outside.movers.spare.person.card!.cardNumber}`)
    ).json();
    expect(card.status).toBe("active");
  });
});

/** Renders a page with what its real loader (and, optionally, action) answered, as the server does. */
async function render(component: unknown, loaderData: unknown, actionData?: unknown): Promise<string> {
  const routes: RouteObject[] = [
    {
      id: "page",
      path: "/",
      loader: () => loaderData as object,
      action: () => (actionData ?? null) as object | null,
      Component: component as () => null,
    },
  ];
  const handler = createStaticHandler(routes);
  const method = actionData ? "POST" : "GET";
  const context = await handler.query(
    new Request("http://counter.test/", {
      method,
      ...(method === "POST" ? { body: new URLSearchParams() } : {}),
    }),
  );
  if (context instanceof Response) throw new Error("unexpected redirect");
  return renderToString(
    createElement(StaticRouterProvider, { router: createStaticRouter(routes, context), context }),
  );
}

function checkAccessible(html: string): void {
  expect(html).toMatch(/<h1>[^<]+<\/h1>/);
  expect(html).toMatch(/<form[^>]*method="post"/);
  expect(html).toMatch(/name="csrf" value="[^"]+"/);
  expect(html).toMatch(/name="requestKey" value="[^"]+"/);
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size, "duplicate ids").toBe(ids.length);
  const labelled = new Set([...html.matchAll(/<label[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]));
  const controls = [...html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)]
    .map((m) => m[2]!)
    .filter((a) => !/type="hidden"/.test(a));
  expect(controls.length).toBeGreaterThan(1);
  for (const a of controls) {
    const id = a.match(/\bid="([^"]*)"/)?.[1];
    expect(labelled.has(id), `no label for ${a}`).toBe(true);
  }
  for (const pw of [...html.matchAll(/<input\b([^>]*type="password"[^>]*)>/g)].map((m) => m[1]!)) {
    expect(pw).toMatch(/autoComplete="off"|autocomplete="off"/);
    expect(pw).not.toMatch(/\bvalue="[^"]+"/);
  }
}

describe("logs", () => {
  it("hold no name, card number, 住民票コード or PIN of the residents served", () => {
    const text = JSON.stringify(office.logs());
    for (const m of Object.values(outside.movers)) {
      const p = m.person;
      for (const v of [
        `${p.name.family} ${p.name.given}`,
        p.card!.cardNumber,
        p.residentCode,
        `"${m.authPin}"`,
      ])
        expect(text).not.toContain(v);
    }
  });
});

describe("card pages rendered without JavaScript", () => {
  it("本人確認: labelled controls, CSRF, the PIN field empty; after a bad PIN its error is tied to it", async () => {
    const id = await reservation();
    const { cookie, csrf } = await loginAs(office, staff.clerk);
    const loaded = await call(() =>
      identityLoader({
        request: request(office, `/reservations/${id}/identity`, { cookie }),
        params: { id },
        context: office.context,
      }),
    );
    checkAccessible(await render(identityPage.default, loaded.body));
    const cardId = await cardIdOf(outside, outside.movers.active);
    const bad = await call(() =>
      identityAction({
        request: request(office, `/reservations/${id}/identity`, {
          cookie,
          form: { csrf, requestKey: "k-render-12345678", cardId, pin: "9x" },
        }),
        params: { id },
        context: office.context,
      }),
    );
    const html = await render(identityPage.default, loaded.body, bad.body);
    checkAccessible(html);
    const pin = html.match(/<input\b[^>]*name="pin"[^>]*>/)?.[0] ?? "";
    const errorId = pin.match(/aria-describedby="(?:[^"]* )?([^" ]+-error)"/)?.[1];
    expect(errorId).toBeTruthy();
    expect(pin).toContain('aria-invalid="true"');
    expect(html).toMatch(new RegExp(`id="${errorId}"[^>]*>.*4桁`));
    // The PIN typed is not sent back, not even in the hydration data.
    expect(html).not.toContain('"9x"');
    expect(html).not.toContain('\\"9x\\"');
  });

  it("card processing: labelled controls, CSRF, PIN fields empty, history shown", async () => {
    const { cookie } = await loginAs(office, staff.clerk);
    const residentId = residents.active;
    const loaded = await call(() =>
      cardLoader({
        request: request(office, `/cards/${residentId}`, { cookie }),
        params: { residentId },
        context: office.context,
      }),
    );
    const html = await render(cardsPage.default, loaded.body);
    checkAccessible(html);
    expect(html).toContain("<legend>");
    expect(html).toContain("継続利用の期限");
  });
});

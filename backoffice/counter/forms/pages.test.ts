import { createElement } from "react";
import { renderToString } from "react-dom/server";
import type { RouteObject } from "react-router-dom";
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as birth from "../../app/routes/changes.birth.js";
import * as cancellation from "../../app/routes/changes.cancellation.js";
import * as death from "../../app/routes/changes.death.js";
import * as emigration from "../../app/routes/changes.emigration.js";
import * as correction from "../../app/routes/changes.ex-officio-correction.js";
import * as entry from "../../app/routes/changes.ex-officio-entry.js";
import * as removal from "../../app/routes/changes.ex-officio-removal.js";
import * as household from "../../app/routes/changes.household.js";
import * as immigration from "../../app/routes/changes.immigration.js";
import * as moveIn from "../../app/routes/changes.move-in.js";
import { createTestBackoffice, loginAs, request, type TestBackoffice } from "../../test-support.js";
import { flat } from "./test-support.js";

/**
 * The pages as the server renders them (what a browser without JavaScript gets): every control
 * has a label, ids are unique, and after a refused submit each error sits next to its field,
 * named by aria-describedby, with aria-invalid on the field.
 */

type RouteModule = {
  loader: (args: never) => Promise<unknown>;
  action: (args: never) => Promise<unknown>;
  default: () => unknown;
};

const PAGES: Record<string, RouteModule> = {
  "move-in": moveIn as never,
  birth: birth as never,
  death: death as never,
  household: household as never,
  emigration: emigration as never,
  immigration: immigration as never,
  "ex-officio-entry": entry as never,
  "ex-officio-removal": removal as never,
  "ex-officio-correction": correction as never,
  cancellation: cancellation as never,
};

let office: TestBackoffice;
let clerk: string;

beforeAll(async () => {
  office = await createTestBackoffice({ now: new Date("2026-11-26T01:00:00Z") });
  clerk = office.world.staff.find((s) => s.roles.length === 1 && s.roles[0] === "clerk")!.id;
});
afterAll(async () => {
  await office?.close();
});

/** Renders a page with its real loader's data and, optionally, what its action answered. */
async function render(mod: RouteModule, actionResult?: unknown): Promise<string> {
  const session = await loginAs(office, clerk);
  const data = await mod.loader({
    request: request(office, "/changes/x", { cookie: session.cookie }),
    context: office.context,
    params: {},
  } as never);
  const routes: RouteObject[] = [
    {
      id: "page",
      path: "/",
      loader: () => data as object,
      action: () => (actionResult ?? null) as object | null,
      Component: mod.default as () => null,
    },
  ];
  const handler = createStaticHandler(routes);
  const method = actionResult ? "POST" : "GET";
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

function controls(html: string): { tag: string; attrs: string }[] {
  return [...html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)]
    .map((m) => ({ tag: m[1]!, attrs: m[2]! }))
    .filter((c) => !/type="hidden"/.test(c.attrs) && !/type="submit"/.test(c.attrs));
}

const attr = (attrs: string, name: string) => attrs.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];

describe("counter pages rendered without JavaScript", () => {
  for (const [slug, mod] of Object.entries(PAGES)) {
    it(`${slug}: every control is labelled, ids are unique, the form carries CSRF and a request key`, async () => {
      const html = await render(mod);
      expect(html).toMatch(/<h1>[^<]+<\/h1>/);
      expect(html).toMatch(/<form[^>]*method="post"/);
      expect(html).toMatch(/name="csrf" value="[^"]+"/);
      expect(html).toMatch(/name="requestKey" value="counter:[0-9a-f-]{36}"/);
      const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size, "duplicate ids").toBe(ids.length);
      const labelled = new Set([...html.matchAll(/<label[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]));
      const cs = controls(html);
      expect(cs.length).toBeGreaterThan(2);
      for (const c of cs) {
        const id = attr(c.attrs, "id");
        expect(id, `${c.tag} ${c.attrs}`).toBeTruthy();
        expect(labelled.has(id), `no label for ${id}`).toBe(true);
      }
      expect(html).toMatch(/<fieldset[^>]*>\s*<legend>/);
    });
  }

  it("after a refused submit, each error is next to its field and tied to it", async () => {
    const session = await loginAs(office, clerk);
    const form = flat({
      csrf: session.csrf,
      requestKey: "counter:render-test",
      residentCode: "12345678901",
      diedOn: "2026-12-01",
      notifiedOn: "2026-11-26",
    }) as Record<string, string>;
    const reply = await death.action({
      request: request(office, "/changes/death", { cookie: session.cookie, form }),
      context: office.context,
      params: {},
    } as never);
    const body = (reply as { data: unknown }).data;
    const html = await render(PAGES.death!, body);
    expect(html).toMatch(/role="alert"/);
    for (const name of ["residentCode", "diedOn"]) {
      const input = controls(html).find((c) => attr(c.attrs, "name") === name)!;
      expect(attr(input.attrs, "aria-invalid")).toBe("true");
      const errorId = attr(input.attrs, "aria-describedby")
        ?.split(" ")
        .find((x) => x.endsWith("-error"));
      expect(errorId).toBeTruthy();
      const errorBlock =
        html.match(new RegExp(`id="${errorId!.replace(/[.[\]]/g, "\\$&")}"[^>]*>(.*?)</div>`))?.[1] ?? "";
      expect(errorBlock).toMatch(/[ぁ-んァ-ン一-龥]/);
    }
    // The value typed stays in the field.
    expect(html).toMatch(/value="12345678901"/);
  });
});

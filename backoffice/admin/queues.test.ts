import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCredentials } from "../../db/connect.js";
import { createQueueBackend, type QueueBackend } from "../../jobs/backend.js";
import { createTestDatabase, TEST_ROLE_PASSWORDS, type TestDatabase } from "../../tests/support/database.js";
import { createTestBackoffice, loginAs, type TestBackoffice } from "../test-support.js";
import { mountQueueBoard, QUEUES_PATH } from "./queues.server.js";

/** Bull Board behind the staff session, over a real Redis, and over BullMQ's PostgreSQL backend. */

async function serve(
  office: TestBackoffice,
  backend: QueueBackend,
): Promise<{ url: string; server: Server }> {
  const app = express();
  mountQueueBoard(app, backend, office.services);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("Bull Board on Redis", () => {
  let office: TestBackoffice;
  let backend: QueueBackend;
  let board: { url: string; server: Server };

  beforeAll(async () => {
    office = await createTestBackoffice();
    backend = await createQueueBackend(office.services.queue!);
    board = await serve(office, backend);
  });
  afterAll(async () => {
    board?.server.close();
    await backend?.close();
    await office?.close();
  });

  it("sends a visitor without a session to the login page", async () => {
    const res = await fetch(`${board.url}${QUEUES_PATH}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(QUEUES_PATH)}`);
    const api = await fetch(`${board.url}${QUEUES_PATH}/api/queues`, { redirect: "manual" });
    expect(api.status).toBe(401);
  });

  it("refuses a clerk and an auditor (403, Japanese page)", async () => {
    for (const who of ["sumida-clerk", "sumida-auditor"]) {
      const { cookie } = await loginAs(office, who);
      const res = await fetch(`${board.url}${QUEUES_PATH}`, { headers: { cookie }, redirect: "manual" });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("システム管理者だけが利用できます");
      const api = await fetch(`${board.url}${QUEUES_PATH}/api/queues`, { headers: { cookie } });
      expect(api.status).toBe(403);
    }
  });

  it("shows an admin the board and the queues; a failed job is retried from it", async () => {
    const { cookie } = await loginAs(office, "sumida-admin");
    const page = await fetch(`${board.url}${QUEUES_PATH}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const q = backend.queue("address-notice");
    const failed = new Promise<string>((resolve) => {
      const w = backend.worker("address-notice", async () => {
        throw new Error("test failure");
      });
      w.on("failed", (job) => {
        void w.close().then(() => resolve(job?.id ?? ""));
      });
    });
    await q.add("test", { changeId: crypto.randomUUID(), residentId: crypto.randomUUID() }, { attempts: 1 });
    const jobId = await failed;
    const api = await fetch(
      `${board.url}${QUEUES_PATH}/api/queues?activeQueue=address-notice&status=failed`,
      {
        headers: { cookie },
      },
    );
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues.map((x) => x.name)).toEqual(expect.arrayContaining(["intake", "address-notice"]));
    expect(body.queues.find((x) => x.name === "address-notice")?.counts.failed).toBe(1);
    const own = new URL(office.services.env.BACKOFFICE_PUBLIC_URL).origin;
    const retry = await fetch(`${board.url}${QUEUES_PATH}/api/queues/address-notice/${jobId}/retry`, {
      method: "PUT",
      headers: { cookie, origin: own },
    });
    expect(retry.status).toBeLessThan(300);
    expect(await (await q.getJob(jobId))?.getState()).toBe("waiting");
  });

  it("refuses a change sent from another origin, accepts it from its own", async () => {
    const { cookie } = await loginAs(office, "sumida-admin");
    const q = backend.queue("juki-net-identity");
    await q.add("test", { changeId: crypto.randomUUID(), residentId: crypto.randomUUID() });
    const target = `${board.url}${QUEUES_PATH}/api/queues/juki-net-identity/pause`;
    const evil = await fetch(target, { method: "PUT", headers: { cookie, origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    expect(await q.isPaused()).toBe(false);
    const own = new URL(office.services.env.BACKOFFICE_PUBLIC_URL).origin;
    const ok = await fetch(target, { method: "PUT", headers: { cookie, origin: own } });
    expect(ok.status).toBe(200);
    expect(await q.isPaused()).toBe(true);
    await q.resume();
  });
});

describe("Bull Board on BullMQ's PostgreSQL backend", () => {
  let office: TestBackoffice;
  let t: TestDatabase;
  let backend: QueueBackend;
  let board: { url: string; server: Server };

  beforeAll(async () => {
    office = await createTestBackoffice();
    t = await createTestDatabase({ queueBackend: true });
    backend = await createQueueBackend({
      kind: "postgres",
      url: withCredentials(t.adminUrl, "juki_queue", TEST_ROLE_PASSWORDS.queue),
    });
    board = await serve(office, backend);
  });
  afterAll(async () => {
    board?.server.close();
    await backend?.close();
    await t?.drop();
    await office?.close();
  });

  it("lists the queues and a waiting job for an admin", async () => {
    const { cookie } = await loginAs(office, "taito-admin");
    await backend.queue("intake").add("test", { applicationId: crypto.randomUUID() });
    const api = await fetch(`${board.url}${QUEUES_PATH}/api/queues?activeQueue=intake&status=waiting`, {
      headers: { cookie },
    });
    const text = await api.text();
    expect(api.status, text.slice(0, 500)).toBe(200);
    const body = JSON.parse(text) as { queues: { name: string; counts: Record<string, number> }[] };
    const intake = body.queues.find((x) => x.name === "intake");
    expect(intake?.counts.waiting).toBe(1);
  });
});

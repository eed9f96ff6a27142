import type { Kysely } from "kysely";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDb } from "../db/connect.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import type { PortalDatabase } from "../db/types/portal.js";
import { createLogger } from "../lib/logger.js";
import {
  backofficeDb,
  createTestDatabase,
  portalDb,
  redisPrefix,
  type TestDatabase,
} from "../tests/support/database.js";
import { createQueueBackend, type QueueBackend, type QueueBackendConfig } from "./backend.js";
import { enqueue, relayOnce, startRelay } from "./outbox.js";
import { defineProcessor, runProcessor } from "./processor.js";

const logger = createLogger({ name: "test", level: "silent" });

/**
 * The outbox/inbox properties, proven on both queue backends:
 * a rollback sends nothing; a crash between commit and publish still delivers once the
 * relay restarts; a redelivered message has no second effect; per-key order holds.
 */
describe.each(["redis", "postgres"] as const)("outbox and inbox on the %s queue backend", (kind) => {
  let t: TestDatabase;
  let office: Kysely<BackofficeDatabase>;
  let portal: Kysely<PortalDatabase>;
  let config: QueueBackendConfig;

  beforeAll(async () => {
    t = await createTestDatabase({ queueBackend: kind === "postgres" });
    // The test's observable effect: a table in the portal zone, written by the status consumer.
    // Created by the admin; the portal role gets its rights from the schema's default privileges.
    const admin = createDb<unknown>(t.adminUrl, { max: 1 });
    await sql
      .raw(`create table portal.test_effect (
        message_id uuid not null, application_id uuid not null, status text not null,
        applied_order serial, primary key (message_id))`)
      .execute(admin);
    await admin.destroy();
    office = backofficeDb(t);
    portal = portalDb(t);
    config =
      kind === "redis" ? { kind, url: inject("redisUrl"), prefix: redisPrefix() } : { kind, url: t.queueUrl };
  });
  afterAll(async () => {
    await office.destroy();
    await portal.destroy();
    await t.drop();
  });

  const statusProcessor = defineProcessor({
    queue: "applicationStatus",
    consumer: "test-status",
    concurrency: 4,
    async handle({ trx, envelope, data }) {
      await sql`insert into portal.test_effect (message_id, application_id, status)
        values (${envelope.messageId}, ${data.applicationId}, ${data.status})`.execute(trx);
    },
  });

  async function effects(): Promise<{ message_id: string; application_id: string; status: string }[]> {
    const r = await sql<{ message_id: string; application_id: string; status: string }>`
      select message_id, application_id, status from portal.test_effect order by applied_order`.execute(
      portal,
    );
    return r.rows;
  }

  async function waitFor(predicate: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function unpublished(): Promise<number> {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from messaging.outbox where published_at is null`.execute(office);
    return r.rows[0]!.n;
  }

  it("a rolled-back change sends nothing", async () => {
    const appId = crypto.randomUUID();
    await expect(
      office.transaction().execute(async (trx) => {
        await enqueue(trx, "messaging", {
          queue: "applicationStatus",
          lgCode: "131075",
          data: { applicationId: appId, status: "moveOutAccepted" },
        });
        throw new Error("the state change failed");
      }),
    ).rejects.toThrow("the state change failed");
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from messaging.outbox where payload->>'applicationId' = ${appId}`.execute(
      office,
    );
    expect(r.rows[0]!.n).toBe(0);
  });

  it("refuses a message whose payload breaks its queue's contract, failing the change", async () => {
    await expect(
      office.transaction().execute((trx) =>
        enqueue(trx, "messaging", {
          queue: "applicationStatus",
          lgCode: "131075",
          // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong
          data: { applicationId: "not-a-uuid", status: "done" } as any,
        }),
      ),
    ).rejects.toThrow();
  });

  it("delivers after a relay crash between commit and publish, and between publish and marking", async () => {
    const backend = await createQueueBackend(config);
    const worker = runProcessor(statusProcessor, { backend, dbs: { portal }, logger });
    try {
      const ids: string[] = Array.from({ length: 5 }, () => crypto.randomUUID());
      await office.transaction().execute(async (trx) => {
        for (const applicationId of ids) {
          await enqueue(trx, "messaging", {
            queue: "applicationStatus",
            lgCode: "131075",
            data: { applicationId, status: "moveOutAccepted" },
          });
        }
      });
      // Crash 1: committed, but no relay ran (the relay process died). Nothing is lost: the rows wait.
      expect(await unpublished()).toBe(5);

      // Crash 2: a relay published to the queue and died before marking the rows published.
      const crashing: QueueBackend = {
        ...backend,
        queue: (name) => {
          const q = backend.queue(name);
          return new Proxy(q, {
            get(target, prop, receiver) {
              if (prop === "addBulk") {
                return async (...args: Parameters<typeof q.addBulk>) => {
                  await target.addBulk(...args);
                  throw new Error("relay killed after publishing");
                };
              }
              return Reflect.get(target, prop, receiver);
            },
          });
        },
      };
      await expect(relayOnce({ db: office, schema: "messaging", backend: crashing })).rejects.toThrow(
        "relay killed",
      );
      expect(await unpublished()).toBe(5); // the marking rolled back

      // The relay restarts: it publishes the same rows again under the same jobIds.
      const relay = startRelay({ db: office, schema: "messaging", backend, logger });
      await waitFor(async () => (await unpublished()) === 0);
      await waitFor(async () => (await effects()).filter((e) => ids.includes(e.application_id)).length === 5);
      await relay.stop();
      // Give any duplicate a chance to be (wrongly) applied before counting.
      await new Promise((r) => setTimeout(r, 300));
      const mine = (await effects()).filter((e) => ids.includes(e.application_id));
      expect(mine).toHaveLength(5);
      expect(new Set(mine.map((e) => e.application_id))).toEqual(new Set(ids));
    } finally {
      await worker.close();
      await backend.close();
    }
  });

  it.runIf(kind === "redis")(
    "publishes again what a flushed queue store lost, with one effect per message",
    async () => {
      if (config.kind !== "redis") return;
      const redisConfig = config;
      const backend = await createQueueBackend(config);
      const relay = startRelay({ db: office, schema: "messaging", backend, logger, storeCheckMs: 50 });
      const send = async (ids: string[]) =>
        office.transaction().execute(async (trx) => {
          for (const applicationId of ids) {
            await enqueue(trx, "messaging", {
              queue: "applicationStatus",
              lgCode: "131075",
              data: { applicationId, status: "awaitingVisit" },
            });
          }
        });
      const mineOf = async (ids: string[]) => (await effects()).filter((e) => ids.includes(e.application_id));
      let worker = runProcessor(statusProcessor, { backend, dbs: { portal }, logger });
      try {
        // Two delivered and applied before the loss.
        const before = [crypto.randomUUID(), crypto.randomUUID()];
        await send(before);
        await waitFor(async () => (await mineOf(before)).length === 2);
        // Three published while no worker runs: they wait in Redis, then Redis loses everything.
        await worker.close();
        const waiting = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
        await send(waiting);
        await waitFor(async () => (await unpublished()) === 0);
        const { Redis } = await import("ioredis");
        const redis = new Redis(redisConfig.url);
        const keys = await redis.keys(`${redisConfig.prefix}:*`);
        expect(keys.length).toBeGreaterThan(0);
        await redis.del(...keys); // the test's own prefix only: other test files share this Redis
        redis.disconnect();
        // The relay notices the missing marker and publishes the recent messages again.
        worker = runProcessor(statusProcessor, { backend, dbs: { portal }, logger });
        await waitFor(async () => (await mineOf(waiting)).length === 3);
        await new Promise((r) => setTimeout(r, 300));
        expect(await mineOf(waiting)).toHaveLength(3);
        // The two applied before the loss were delivered again: the inbox kept one effect each.
        expect(await mineOf(before)).toHaveLength(2);
      } finally {
        await relay.stop();
        await worker.close();
        await backend.close();
      }
    },
  );

  it("a redelivered message (same message id, new job) has no second effect", async () => {
    const backend = await createQueueBackend(config);
    const worker = runProcessor(statusProcessor, { backend, dbs: { portal }, logger });
    try {
      const messageId: string = crypto.randomUUID();
      const applicationId = crypto.randomUUID();
      const envelope = { messageId, lgCode: "131075", data: { applicationId, status: "completed" } };
      // As if the first job had completed and been removed, then the relay published again:
      // BullMQ no longer knows the jobId, so only the inbox can stop the second effect.
      await backend
        .queue("application-status")
        .add("application-status", envelope, { jobId: `${messageId}-a` });
      await backend
        .queue("application-status")
        .add("application-status", envelope, { jobId: `${messageId}-b` });
      await waitFor(async () => {
        const states = await Promise.all(
          ["a", "b"].map(async (s) =>
            (await backend.queue("application-status").getJob(`${messageId}-${s}`))?.getState(),
          ),
        );
        return states.every((s) => s === "completed");
      });
      const mine = (await effects()).filter((e) => e.application_id === applicationId);
      expect(mine).toHaveLength(1);
    } finally {
      await worker.close();
      await backend.close();
    }
  });

  it("applies messages about one key in order, even when they arrive out of order", async () => {
    const backend = await createQueueBackend(config);
    const applicationId = crypto.randomUUID();
    const statuses = ["received", "moveOutAccepted", "awaitingVisit", "completed"] as const;
    await office.transaction().execute(async (trx) => {
      for (const status of statuses) {
        await enqueue(trx, "messaging", {
          queue: "applicationStatus",
          lgCode: "131075",
          data: { applicationId, status },
          orderingKey: `application:${applicationId}`,
        });
      }
    });
    const rows = await sql<{ id: string; payload: unknown; ordering_key: string; sequence: number }>`
      select id, payload, ordering_key, sequence from messaging.outbox
      where payload->>'applicationId' = ${applicationId} order by sequence`.execute(office);
    expect(rows.rows.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
    // Deliver them reversed, bypassing the relay: the inbox must hold each back until its turn.
    for (const row of [...rows.rows].reverse()) {
      await backend.queue("application-status").add(
        "application-status",
        {
          messageId: row.id,
          lgCode: "131075",
          orderingKey: row.ordering_key,
          sequence: row.sequence,
          data: row.payload,
        },
        { jobId: row.id, attempts: 30, backoff: { type: "fixed", delay: 50 } },
      );
    }
    const worker = runProcessor(statusProcessor, { backend, dbs: { portal }, logger });
    try {
      await waitFor(
        async () => (await effects()).filter((e) => e.application_id === applicationId).length === 4,
      );
      const applied = (await effects())
        .filter((e) => e.application_id === applicationId)
        .map((e) => e.status);
      expect(applied).toEqual([...statuses]);
    } finally {
      await worker.close();
      await backend.close();
    }
  });
});

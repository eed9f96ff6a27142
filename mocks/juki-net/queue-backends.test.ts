import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createQueueBackend, type QueueBackend, type QueueBackendConfig } from "../../jobs/backend.js";
import { envelopeSchema, queues } from "../../jobs/queues.js";
import { loadWorld } from "../../lib/world.js";
import { createTestDatabase, redisPrefix, type TestDatabase } from "../../tests/support/database.js";
import { CsClient, hosted, type Served, serveJukiNet, standIn, tempDataDir } from "./testing.js";

/**
 * One inbound job per mailbox message on both queue backends (`npm start` runs BullMQ on
 * PostgreSQL, production on Redis): a retried message, a re-announcement and a restart of the
 * service all add nothing, and the job is in the envelope the foundation's processors expect.
 */
const world = loadWorld();
const [sender, receiver] = hosted(world);

describe.each(["redis", "postgres"] as const)("inbound jobs on the %s queue backend", (kind) => {
  let t: TestDatabase | undefined;
  let config: QueueBackendConfig;
  let backend: QueueBackend;
  let data: ReturnType<typeof tempDataDir>;

  beforeAll(async () => {
    if (kind === "postgres") t = await createTestDatabase({ queueBackend: true });
    config =
      kind === "redis"
        ? { kind, url: inject("redisUrl"), prefix: redisPrefix() }
        : { kind, url: t!.queueUrl };
    backend = await createQueueBackend(config);
    data = tempDataDir();
  });
  afterAll(async () => {
    await backend?.close();
    await t?.drop();
    data?.remove();
  });

  it("adds exactly one job per message, however often it is sent or announced", async () => {
    // With one hosted municipality, messages to it come from a stand-in municipality's answer.
    const to = (receiver ?? sender)!.lgCode;
    const from = receiver ? sender!.lgCode : standIn(world)[0]!.lgCode;
    let net: Served = await serveJukiNet(world, { dataDir: data.dir, queue: config });
    const client = new CsClient(net.url, from, data.dir);
    const ids: string[] = [];
    if (receiver) {
      for (let i = 0; i < 5; i++) {
        const applicationId = randomUUID();
        const sent = await client.send({ kind: "moveOutCancel", to, applicationId, body: { applicationId } });
        expect(sent.status).toBe(202);
        const again = await fetch(`${net.url}/cs/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jws: sent.jws }),
        });
        expect(again.status).toBe(202);
        ids.push(sent.envelope.id);
      }
    }
    await net.system.reannounce(true);
    await net.stop();
    net = await serveJukiNet(world, { dataDir: data.dir, queue: config });
    await net.system.reannounce(true);
    await net.stop();

    const q = backend.queue(queues.jukiNetInbound.name);
    const jobs = await q.getJobs(["waiting", "active", "completed", "failed", "delayed", "prioritized"]);
    expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    for (const job of jobs) {
      const envelope = envelopeSchema.parse(job.data);
      expect(envelope.messageId).toBe(job.id);
      expect(envelope.lgCode).toBe(to);
      expect(queues.jukiNetInbound.schema.parse(envelope.data).kind).toBe("moveOutCancel");
    }
  });
});

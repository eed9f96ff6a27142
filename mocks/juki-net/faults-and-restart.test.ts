import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import path from "node:path";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createQueueBackend, type QueueBackend } from "../../jobs/backend.js";
import { queues } from "../../jobs/queues.js";
import { loadWorld, type WorldPerson } from "../../lib/world.js";
import { redisPrefix } from "../../tests/support/database.js";
import {
  CsClient,
  hosted,
  peopleOf,
  type Served,
  serveJukiNet,
  standInResident,
  tempDataDir,
} from "./testing.js";

/**
 * Over real HTTP: per-endpoint faults (fail, time out, slow down, with a rate), and a restart
 * of the service that keeps everything it answered 2xx to — identity history, mailboxes,
 * acknowledgements, ordering, stand-in state — and re-announces what is unacknowledged.
 */
const world = loadWorld();
const h = hosted(world)[0]!;
const person: WorldPerson = peopleOf(world, h.lgCode)[0]!;
const { municipality: origin, person: resident } = standInResident(world);
const to = hosted(world)[1]?.lgCode ?? origin.lgCode;

let data: ReturnType<typeof tempDataDir>;
let net: Served;
let cs: CsClient;

const update = (sequence: number) => ({
  id: randomUUID(),
  lgCode: person.lgCode,
  residentCode: person.residentCode,
  sequence,
  reason: "correction",
  reasonDate: "2026-12-01",
  identity: {
    name: person.name,
    birthDate: person.birthDate,
    sex: person.sex,
    address: { ...person.address, lgCode: person.lgCode },
    myNumber: person.myNumber,
  },
});
const cancel = () => {
  const applicationId = randomUUID();
  return { kind: "moveOutCancel" as const, to, applicationId, body: { applicationId } };
};

describe("faults per endpoint", () => {
  beforeAll(async () => {
    data = tempDataDir();
    net = await serveJukiNet(world, { dataDir: data.dir });
    cs = new CsClient(net.url, h.lgCode, data.dir);
  });
  afterAll(async () => {
    await net.stop();
    data.remove();
  });
  const setFault = (endpoint: string, fault: unknown) =>
    fetch(`${net.url}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ endpoint, fault }),
    });

  it("fail: 503 with no effect, only on that endpoint", async () => {
    expect((await setFault("identity-update", { mode: "fail" })).status).toBe(204);
    const u = update(1);
    expect((await cs.post("/cs/identity-updates", u)).status).toBe(503);
    expect(net.system.state.history(person.residentCode)).toHaveLength(1);
    // Other endpoints are untouched.
    expect(
      (await cs.post("/cs/identity/lookup", { by: "residentCode", residentCode: person.residentCode }))
        .status,
    ).toBe(200);
    await setFault("identity-update", null);
    expect((await cs.post("/cs/identity-updates", u)).status).toBe(200);
  });

  it("timeout: the request never gets an answer and has no effect", async () => {
    await setFault("messages", { mode: "timeout" });
    const before = net.system.state.messages.size;
    const started = Date.now();
    const outcome = await Promise.race([
      cs.send(cancel()).then(
        () => "answered",
        () => "connection closed",
      ),
      new Promise((r) => setTimeout(() => r("no answer"), 700)),
    ]);
    expect(outcome).toBe("no answer");
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(net.system.state.messages.size).toBe(before);
    await setFault("messages", null);
    expect((await cs.send(cancel())).status).toBe(202);
  });

  it("slow: answered after the delay", async () => {
    await setFault("stats", { mode: "slow", delayMs: 400 });
    const started = Date.now();
    expect((await fetch(`${net.url}/cs/stats`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    await setFault("stats", null);
  });

  it("a rate: about that share of calls fail", async () => {
    await setFault("keys", { mode: "fail", rate: 0.3 });
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await fetch(`${net.url}/cs/keys`)).status === 503) failed++;
    await setFault("keys", null);
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(100);
  });

  it("records what it received, per endpoint", async () => {
    const recorded = (await (
      await fetch(`${net.url}/_control/recorded?endpoint=identity-update`)
    ).json()) as {
      status: number;
    }[];
    expect(recorded.map((r) => r.status)).toContain(200);
  });
});

describe("restart", () => {
  let backend: QueueBackend;
  beforeAll(async () => {
    backend = await createQueueBackend({ kind: "redis", url: inject("redisUrl"), prefix: redisPrefix() });
  });
  afterAll(async () => {
    await backend.close();
  });
  const jobs = (): Promise<Job[]> =>
    backend
      .queue(queues.jukiNetInbound.name)
      .getJobs(["waiting", "active", "completed", "failed", "delayed"]);

  it("keeps what it acknowledged across a restart, and re-announces what is unacknowledged", async () => {
    const dir = tempDataDir();
    try {
      let served = await serveJukiNet(world, { dataDir: dir.dir, queue: backend });
      let client = new CsClient(served.url, h.lgCode, dir.dir);
      const receiver = new CsClient(served.url, to, dir.dir);
      expect((await client.post("/cs/identity-updates", update(1))).status).toBe(200);
      const u2 = update(2);
      expect((await client.post("/cs/identity-updates", u2)).status).toBe(200);
      const orderingKey = randomUUID();
      const kept = await client.send({ ...cancel(), orderingKey, sequence: 1 });
      const acked = await client.send(cancel());
      expect(kept.status).toBe(202);
      // A stand-in municipality's state: its resident is now moving out.
      const applicationId = randomUUID();
      const request = await client.send({
        kind: "moveOutRequest",
        to: origin.lgCode,
        applicationId,
        body: {
          applicationId,
          origin: { address: resident.address.line },
          destination: {
            lgCode: h.lgCode,
            address: { lgCode: h.lgCode, line: `${h.prefecture}${h.name}1番` },
          },
          plannedMoveOutDate: "2026-12-20",
          persons: [
            { residentCode: resident.residentCode, birthDate: resident.birthDate, sex: resident.sex },
          ],
        },
      });
      expect(request.status).toBe(202);
      expect(served.system.state.movingOut.get(resident.residentCode)?.applicationId).toBe(applicationId);
      if (hosted(world).length > 1) {
        expect(
          (await receiver.post(`/cs/mailboxes/${to}/messages/${acked.envelope.id}/ack`, {})).status,
        ).toBe(200);
      }
      // Many at once: group commit writes them together, and each answer waited for its line.
      const burst = await Promise.all(Array.from({ length: 30 }, () => client.send(cancel())));
      expect(burst.every((r) => r.status === 202)).toBe(true);
      const statsBefore = (await (await fetch(`${served.url}/cs/stats`)).json()) as {
        identity: { applied: number };
      };
      await served.stop();
      // A crash mid-write leaves a torn last line: ignored at replay.
      appendFileSync(
        path.join(dir.dir, "juki-net", "log.jsonl"),
        '{"at":"2026-12-01T00:00:00Z","events":[{"t":"ent',
      );
      // The job of the unacknowledged message is lost (as with a Redis flush).
      for (const j of await jobs()) await j.remove();

      // The periodic re-announcement is far away: what brings the job back is the one at start.
      served = await serveJukiNet(world, { dataDir: dir.dir, queue: backend, reannounceIntervalMs: 600_000 });
      client = new CsClient(served.url, h.lgCode, dir.dir);
      // Identity history and the per-person sequence survived.
      expect(served.system.state.history(person.residentCode).map((e) => e.sequence)).toEqual([0, 1, 2]);
      expect((await client.post("/cs/identity-updates", u2)).status).toBe(200); // a repeat: first answer
      expect((await client.post("/cs/identity-updates", update(2))).body.expectedSequence).toBe(3);
      expect(served.system.state.movingOut.get(resident.residentCode)?.applicationId).toBe(applicationId);
      for (const r of burst) expect(served.system.state.messages.has(r.envelope.id)).toBe(true);
      // Messages, ordering and acknowledgements survived.
      expect((await client.send({ ...cancel(), orderingKey, sequence: 1 })).status).toBe(409);
      expect((await client.send({ ...cancel(), orderingKey, sequence: 2 })).status).toBe(202);
      const stats = (await (await fetch(`${served.url}/cs/stats`)).json()) as {
        identity: { applied: number };
      };
      expect(stats.identity.applied).toBe(statsBefore.identity.applied);
      if (hosted(world).length > 1) {
        const r = new CsClient(served.url, to, dir.dir);
        const unacked = (await r.get(`/cs/mailboxes/${to}/messages?unacked=1`)).body.messages.map(
          (m: { id: string }) => m.id,
        );
        expect(unacked).toContain(kept.envelope.id);
        expect(unacked).not.toContain(acked.envelope.id);
        // Re-announced at start: the lost job is back, the acknowledged one is not.
        const deadline = Date.now() + 5_000;
        let ids: (string | undefined)[] = [];
        while (Date.now() < deadline) {
          ids = (await jobs()).map((j) => j.id);
          if (ids.includes(kept.envelope.id)) break;
          await new Promise((res) => setTimeout(res, 50));
        }
        expect(ids).toContain(kept.envelope.id);
        expect(ids).not.toContain(acked.envelope.id);
      }
      await served.stop();
    } finally {
      dir.remove();
    }
  });
});

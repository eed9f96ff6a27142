import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import { compactVerify, createLocalJWKSet } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createQueueBackend, type QueueBackend } from "../../jobs/backend.js";
import { envelopeSchema as jobEnvelopeSchema, queues } from "../../jobs/queues.js";
import { devKeyPair } from "../../lib/secrets.js";
import { loadWorld } from "../../lib/world.js";
import { redisPrefix } from "../../tests/support/database.js";
import { type Envelope, moveOutCertificateBody, newEnvelope, signMessage } from "./protocol.js";
import {
  CsClient,
  hosted,
  type Served,
  serveJukiNet,
  standInResident,
  tempDataDir,
  withClone,
} from "./testing.js";

/**
 * Inter-municipal messages: signatures, routing to hosted mailboxes (one inbound job per
 * message on a real Redis queue), fetch and acknowledgement, re-announcement, ordering, and
 * the stand-in municipalities answering like real ones.
 */
const base = loadWorld();
const { municipality: origin, person: resident } = standInResident(base);
// A second resident of the stand-in municipality, whatever the world file holds.
const { world, clone: neighbourResident } = withClone(base, resident, origin.lgCode);
const [h1, h2] = hosted(world);
const QUEUE = queues.jukiNetInbound.name;

let data: ReturnType<typeof tempDataDir>;
let backend: QueueBackend;
let net: Served;
let a: CsClient; // a hosted municipality
let b: CsClient; // another hosted municipality (or a itself when the world hosts one)

async function jobs(): Promise<Job[]> {
  return backend.queue(QUEUE).getJobs(["waiting", "active", "completed", "failed", "delayed", "prioritized"]);
}

const sampleCancel = (to: string) => ({
  kind: "moveOutCancel" as const,
  to,
  applicationId: randomUUID(),
  body: { applicationId: randomUUID(), reason: "test" },
});

beforeAll(async () => {
  if (!h1) throw new Error("the world file hosts no municipality");
  data = tempDataDir();
  backend = await createQueueBackend({ kind: "redis", url: inject("redisUrl"), prefix: redisPrefix() });
  net = await serveJukiNet(world, { dataDir: data.dir, queue: backend, reannounceAfterMs: 60_000 });
  a = new CsClient(net.url, h1.lgCode, data.dir);
  b = new CsClient(net.url, (h2 ?? h1).lgCode, data.dir);
});
afterAll(async () => {
  await net?.stop();
  await backend?.close();
  data?.remove();
});

describe("signatures", () => {
  it("accepts a message signed with the sender's key", async () => {
    const res = await a.send(sampleCancel(b.lgCode === a.lgCode ? origin.lgCode : b.lgCode));
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(true);
  });

  it("refuses an unsigned message, a bad signature and another municipality's key with 401", async () => {
    const env = {
      id: randomUUID(),
      sentAt: new Date().toISOString(),
      from: a.lgCode,
      ...sampleCancel(origin.lgCode),
    };
    const post = (body: unknown) =>
      fetch(`${net.url}/cs/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // Unsigned: the envelope itself, or a JWS with alg "none".
    expect((await post(env)).status).toBe(401);
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify(env)).toString("base64url")}.`;
    const unsigned = await post({ jws: none });
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).error).toBe("unsigned");

    // A good JWS with one payload byte changed.
    const good = await a.send(sampleCancel(origin.lgCode));
    const [h, p, s] = good.jws.split(".");
    const tampered = JSON.parse(Buffer.from(p!, "base64url").toString());
    tampered.body.reason = "tampered";
    const bad = await post({
      jws: `${h}.${Buffer.from(JSON.stringify(tampered)).toString("base64url")}.${s}`,
    });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error).toBe("badSignature");

    // Claims to come from `a` but is signed with some other key.
    const stranger = devKeyPair(data.dir, "stranger", "ES256").privateJwk;
    const forged = await post({
      jws: await signMessage(newEnvelope({ ...sampleCancel(origin.lgCode), from: a.lgCode }), stranger),
    });
    expect(forged.status).toBe(401);

    // None of them reached a mailbox or the stand-in.
    const received = net.system.recorded.filter((r) => r.endpoint === "messages" && r.status === 401);
    expect(received.length).toBeGreaterThanOrEqual(4);
  });

  it("refuses unknown municipalities and malformed envelopes with 400", async () => {
    const unknownTo = await a.send({ ...sampleCancel("999997"), to: "999997" });
    expect(unknownTo.status).toBe(400);
    expect(unknownTo.body.error).toBe("unknownMunicipality");
    const toSelf = await a.send(sampleCancel(a.lgCode));
    expect(toSelf.status).toBe(400);
    const badBody = await a.send({ kind: "moveInNotice", to: origin.lgCode, body: { persons: [] } });
    expect(badBody.status).toBe(400);
    expect(badBody.body.issues.length).toBeGreaterThan(0);
    // Field paths only, never values.
    expect(JSON.stringify(badBody.body)).not.toContain(resident.residentCode);
  });
});

describe("routing to a hosted municipality", () => {
  it("stores the message, adds exactly one inbound job (jobId = message id), and fetch + ack work", async () => {
    const before = (await jobs()).length;
    const sent = await a.send(sampleCancel(b.lgCode === a.lgCode ? origin.lgCode : b.lgCode));
    if (b.lgCode === a.lgCode) return; // a one-municipality world: nothing hosted to route to
    expect(sent.status).toBe(202);
    expect(sent.body.route).toBe("mailbox");
    // A retry of the same message: same answer, no second job.
    const again = await fetch(`${net.url}/cs/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jws: sent.jws }),
    });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(sent.body);
    await net.system.reannounce(true); // and an explicit re-announcement

    const all = await jobs();
    expect(all.length - before).toBe(1);
    const job = all.find((j) => j.id === sent.envelope.id)!;
    expect(job).toBeDefined();
    const envelope = jobEnvelopeSchema.parse(job.data);
    expect(envelope).toMatchObject({ messageId: sent.envelope.id, lgCode: b.lgCode });
    expect(queues.jukiNetInbound.schema.parse(envelope.data)).toEqual({
      messageId: sent.envelope.id,
      kind: "moveOutCancel",
    });

    // Only the receiver may read its mailbox.
    expect((await a.get(`/cs/mailboxes/${b.lgCode}/messages/${sent.envelope.id}`)).status).toBe(403);
    const fetched = await b.get(`/cs/mailboxes/${b.lgCode}/messages/${sent.envelope.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.envelope).toEqual(sent.envelope);
    expect(fetched.body.jws).toBe(sent.jws);
    expect(
      (await b.get(`/cs/mailboxes/${b.lgCode}/messages?unacked=1`)).body.messages.map(
        (m: { id: string }) => m.id,
      ),
    ).toContain(sent.envelope.id);

    const ack = await b.post(`/cs/mailboxes/${b.lgCode}/messages/${sent.envelope.id}/ack`, {});
    expect(ack.status).toBe(200);
    expect((await b.post(`/cs/mailboxes/${b.lgCode}/messages/${sent.envelope.id}/ack`, {})).body).toEqual(
      ack.body,
    );
    expect(
      (await b.get(`/cs/mailboxes/${b.lgCode}/messages?unacked=1`)).body.messages.map(
        (m: { id: string }) => m.id,
      ),
    ).not.toContain(sent.envelope.id);

    // An acknowledged message is never announced again, even when its job is gone.
    await job.remove();
    await net.system.reannounce(true);
    expect((await jobs()).find((j) => j.id === sent.envelope.id)).toBeUndefined();
  });

  it("announces an unacknowledged message again when its job was lost", async () => {
    const sent = await a.send(sampleCancel(b.lgCode === a.lgCode ? origin.lgCode : b.lgCode));
    if (b.lgCode === a.lgCode) return;
    const job = (await jobs()).find((j) => j.id === sent.envelope.id)!;
    await job.remove(); // as if Redis had lost it
    expect((await jobs()).find((j) => j.id === sent.envelope.id)).toBeUndefined();
    await net.system.reannounce(true);
    const back = (await jobs()).filter((j) => j.id === sent.envelope.id);
    expect(back).toHaveLength(1);
  });

  it("a BullMQ worker can take the job, fetch the body and acknowledge it", async () => {
    if (b.lgCode === a.lgCode) return;
    const seen: string[] = [];
    const worker = backend.worker(QUEUE, async (job) => {
      const env = jobEnvelopeSchema.parse(job.data);
      const res = await b.get(`/cs/mailboxes/${env.lgCode}/messages/${env.messageId}`);
      if (res.status !== 200) throw new Error(`fetch ${res.status}`);
      const ack = await b.post(`/cs/mailboxes/${env.lgCode}/messages/${env.messageId}/ack`, {});
      if (ack.status !== 200) throw new Error(`ack ${ack.status}`);
      seen.push(env.messageId);
    });
    const sent = await a.send(sampleCancel(b.lgCode));
    const deadline = Date.now() + 10_000;
    while (!seen.includes(sent.envelope.id) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    expect(seen).toContain(sent.envelope.id);
    const list = await b.get(`/cs/mailboxes/${b.lgCode}/messages?unacked=1`);
    expect(list.body.messages.map((m: { id: string }) => m.id)).not.toContain(sent.envelope.id);
  });

  it("applies each ordering key's messages in sequence: an early one is refused with the expected number", async () => {
    const to = b.lgCode === a.lgCode ? origin.lgCode : b.lgCode;
    const orderingKey = randomUUID();
    const second = await a.send({ ...sampleCancel(to), orderingKey, sequence: 2 });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: "outOfOrder", expectedSequence: 1 });
    expect((await a.send({ ...sampleCancel(to), orderingKey, sequence: 1 })).status).toBe(202);
    expect((await a.send({ ...sampleCancel(to), orderingKey, sequence: 2 })).status).toBe(202);
    expect((await a.send({ ...sampleCancel(to), orderingKey, sequence: 2 })).status).toBe(409);
    // A message id reused for different content is refused.
    const first = await a.send(sampleCancel(to));
    const reused = await a.send({ ...sampleCancel(to), id: first.envelope.id });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toBe("idReused");
  });
});

describe("a stand-in municipality", () => {
  async function mailbox(client: CsClient, kind: string, applicationId: string) {
    const list = await client.get(`/cs/mailboxes/${client.lgCode}/messages`);
    for (const m of list.body.messages as { id: string; kind: string }[]) {
      if (m.kind !== kind) continue;
      const full = await client.get(`/cs/mailboxes/${client.lgCode}/messages/${m.id}`);
      if (full.body.envelope.applicationId === applicationId)
        return full.body as { envelope: Envelope; jws: string };
    }
    return undefined;
  }

  const request = (applicationId: string, persons: unknown[]) => ({
    kind: "moveOutRequest" as const,
    to: origin.lgCode,
    applicationId,
    body: {
      applicationId,
      origin: { address: resident.address.line },
      destination: {
        lgCode: a.lgCode,
        address: { lgCode: a.lgCode, line: `${h1!.prefecture}${h1!.name}転入町1番1号` },
      },
      plannedMoveOutDate: "2026-12-20",
      plannedVisitDate: "2026-12-21",
      persons,
    },
  });

  it("answers a moveOutRequest with a signed 転出証明書情報 routed to the hosted destination", async () => {
    const applicationId = randomUUID();
    const sent = await a.send(
      request(applicationId, [
        {
          name: `${resident.name.family} ${resident.name.given}`,
          birthDate: resident.birthDate,
          sex: resident.sex,
        },
      ]),
    );
    expect(sent.status).toBe(202);
    expect(sent.body.route).toBe("standIn");

    const cert = await mailbox(a, "moveOutCertificate", applicationId);
    expect(cert).toBeDefined();
    expect(cert!.envelope).toMatchObject({ from: origin.lgCode, to: a.lgCode, inReplyTo: sent.envelope.id });
    // Signed with the stand-in municipality's key, verifiable from the published JWKS.
    const jwks = await (await fetch(`${net.url}/cs/keys`)).json();
    const { payload } = await compactVerify(cert!.jws, createLocalJWKSet(jwks));
    expect(JSON.parse(new TextDecoder().decode(payload)).id).toBe(cert!.envelope.id);
    expect(jwks.keys.find((k: { lgCode: string }) => k.lgCode === origin.lgCode)).toBeDefined();

    const body = moveOutCertificateBody.parse(cert!.envelope.body);
    expect(body.persons).toHaveLength(1);
    expect(body.persons[0]).toMatchObject({
      residentCode: resident.residentCode,
      myNumber: resident.myNumber,
      birthDate: resident.birthDate,
      relationship: resident.relationship,
    });
    expect(Boolean(body.persons[0]!.honseki)).toBe(Boolean(resident.honseki));
    expect(body.plannedMoveOutDate).toBe("2026-12-20");
    // An inbound job announced it.
    expect((await jobs()).some((j) => j.id === cert!.envelope.id)).toBe(true);

    // The person is now moving: a second application is refused.
    const twice = randomUUID();
    await a.send(
      request(twice, [
        { residentCode: resident.residentCode, birthDate: resident.birthDate, sex: resident.sex },
      ]),
    );
    const refused = await mailbox(a, "moveOutRefused", twice);
    expect(refused?.envelope.body).toMatchObject({ reason: "alreadyMoving" });

    // 転入通知 from the destination confirms the 転出: identity information 消除 at the origin.
    const notice = await a.send({
      kind: "moveInNotice",
      to: origin.lgCode,
      applicationId,
      body: {
        applicationId,
        movedInOn: "2026-12-21",
        notifiedOn: "2026-12-21",
        destination: body.destination,
        persons: [
          {
            residentCode: resident.residentCode,
            name: resident.name,
            birthDate: resident.birthDate,
            sex: resident.sex,
          },
        ],
      },
    });
    expect(notice.status).toBe(202);
    const entry = net.system.state.latestIn(origin.lgCode, resident.residentCode)!;
    expect(entry).toMatchObject({ removed: true, reason: "moveOut", reasonDate: "2026-12-21" });

    // Cancelling now is too late.
    await a.send({ kind: "moveOutCancel", to: origin.lgCode, applicationId, body: { applicationId } });
    expect((await mailbox(a, "moveOutCancelled", applicationId))?.envelope.body).toMatchObject({
      result: "alreadyCompleted",
    });
  });

  it("takes a 転出証明書情報 from a hosted origin; at the counter visit it sends 転入通知 and 附票通知", async () => {
    const mover =
      world.people.find((p) => p.lgCode === a.lgCode && p.honseki) ??
      world.people.find((p) => p.lgCode === a.lgCode)!;
    const applicationId = randomUUID();
    const destination = {
      lgCode: origin.lgCode,
      address: { lgCode: origin.lgCode, line: `${origin.prefecture}${origin.name}転入町2番2号` },
    };
    const certificate = {
      applicationId,
      certificateId: `${a.lgCode}-${applicationId}`,
      issuedOn: "2026-12-01",
      origin: { lgCode: a.lgCode, address: { ...mover.address, lgCode: a.lgCode } },
      destination,
      plannedMoveOutDate: "2026-12-20",
      persons: [
        {
          residentCode: mover.residentCode,
          myNumber: mover.myNumber,
          name: mover.name,
          birthDate: mover.birthDate,
          sex: mover.sex,
          householdHead: mover.relationship === "世帯主",
          householdHeadName: "",
          relationship: mover.relationship,
          ...(mover.honseki ? { honseki: mover.honseki } : {}),
          nationality: mover.nationality,
          residentSince: mover.residentSince,
          addressSince: mover.addressSince,
          statusLines: {
            nationalHealthInsurance: true,
            lateStageElderlyMedical: false,
            longTermCare: false,
            nationalPension: "1",
            childAllowance: false,
          },
          supportMeasure: false,
        },
      ],
    };
    const sent = await a.send({
      kind: "moveOutCertificate",
      to: origin.lgCode,
      applicationId,
      orderingKey: applicationId,
      sequence: 1,
      body: certificate,
    });
    expect(sent.status).toBe(202);
    const visit = await fetch(`${net.url}/_control/move-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ applicationId }),
    });
    expect(visit.status).toBe(200);
    const notice = await mailbox(a, "moveInNotice", applicationId);
    expect(notice?.envelope).toMatchObject({
      from: origin.lgCode,
      to: a.lgCode,
      inReplyTo: sent.envelope.id,
    });
    expect(notice?.envelope.body).toMatchObject({ persons: [{ residentCode: mover.residentCode }] });
    // Registered at the stand-in municipality: its identity information there is current.
    expect(net.system.state.latestIn(origin.lgCode, mover.residentCode)).toMatchObject({
      reason: "moveIn",
      removed: false,
    });
    // The 本籍地 (when it is a hosted municipality other than the new address) gets a 附票通知.
    const honsekiAt = mover.honseki ? net.system.directory.locate(mover.honseki.address) : undefined;
    if (honsekiAt?.hosted) {
      const annex = await mailbox(
        new CsClient(net.url, honsekiAt.lgCode, data.dir),
        "annexNotice",
        applicationId,
      );
      expect(annex?.envelope.body).toMatchObject({
        persons: [{ residentCode: mover.residentCode, reason: "moveIn" }],
      });
    }
    // A second visit finds nothing pending.
    expect(
      (
        await fetch(`${net.url}/_control/move-in`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ applicationId }),
        })
      ).status,
    ).toBe(404);
  });

  it("cancels a scheduled 転出 on moveOutCancel and says so", async () => {
    const person = neighbourResident;
    const applicationId = randomUUID();
    await a.send(
      request(applicationId, [
        { residentCode: person.residentCode, birthDate: person.birthDate, sex: person.sex },
      ]),
    );
    expect(await mailbox(a, "moveOutCertificate", applicationId)).toBeDefined();
    expect(net.system.state.movingOut.has(person.residentCode)).toBe(true);
    await a.send({ kind: "moveOutCancel", to: origin.lgCode, applicationId, body: { applicationId } });
    expect((await mailbox(a, "moveOutCancelled", applicationId))?.envelope.body).toMatchObject({
      result: "cancelled",
    });
    expect(net.system.state.movingOut.has(person.residentCode)).toBe(false);
  });

  it("refuses a moveOutRequest for someone it does not know", async () => {
    const applicationId = randomUUID();
    await a.send(request(applicationId, [{ name: "存在 しない", birthDate: "1901-01-01", sex: "female" }]));
    expect((await mailbox(a, "moveOutRefused", applicationId))?.envelope.body).toMatchObject({
      reason: "noRecord",
      personIndex: 0,
    });
  });

  it("records a 附票通知 for its 本籍 residents", async () => {
    const before = net.system.state.annexLog.get(origin.lgCode)?.length ?? 0;
    const res = await a.send({
      kind: "annexNotice",
      to: origin.lgCode,
      body: {
        persons: [
          {
            residentCode: resident.residentCode,
            name: resident.name,
            birthDate: resident.birthDate,
            sex: resident.sex,
            honseki: resident.honseki ?? {
              address: `${origin.prefecture}${origin.name}1番地`,
              headOfFamily: "筆頭者",
            },
            address: { lgCode: a.lgCode, line: `${h1!.prefecture}${h1!.name}転入町1番1号` },
            addressSetOn: "2026-12-21",
            reason: "moveIn",
          },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(net.system.state.annexLog.get(origin.lgCode)?.length).toBe(before + 1);
  });
});

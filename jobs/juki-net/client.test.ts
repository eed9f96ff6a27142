import { randomUUID } from "node:crypto";
import { UnrecoverableError } from "bullmq";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKeyPair } from "../../lib/secrets.js";
import { loadWorld } from "../../lib/world.js";
import { type JukiNetSystem, jukiNet } from "../../mocks/juki-net/index.js";
import { newEnvelope, signMessage } from "../../mocks/juki-net/protocol.js";
import { hosted, peopleOf, tempDataDir } from "../../mocks/juki-net/testing.js";
import { mswHandlers } from "../../mocks/kit.js";
import { JukiNetClient, JukiNetRejectedError, JukiNetRetryableError } from "./client.js";

/** The CS client against the stand-in itself (msw handlers built from jukiNet). */
const BASE = "http://juki-net.test";
const world = loadWorld();
const [a, b] = hosted(world);
if (!a || !b) throw new Error("the world file needs two hosted municipalities");
const person = peopleOf(world, a.lgCode)[0]!;

let data: ReturnType<typeof tempDataDir>;
let system: JukiNetSystem;
let client: JukiNetClient;
const server = setupServer();

beforeAll(() => {
  data = tempDataDir();
  system = jukiNet(world, { dataDir: data.dir, fsync: false });
  server.use(...mswHandlers(system, BASE));
  server.listen({ onUnhandledRequest: "error" });
  client = new JukiNetClient({ baseUrl: BASE, dataDir: data.dir, timeoutMs: 500 });
});
afterAll(async () => {
  server.close();
  await system.close();
  data.remove();
});

const identity = () => ({
  name: person.name,
  birthDate: person.birthDate,
  sex: person.sex,
  address: { ...person.address, lgCode: person.lgCode },
  myNumber: person.myNumber,
});
const update = (sequence: number) => ({
  id: randomUUID(),
  lgCode: a.lgCode,
  residentCode: person.residentCode,
  sequence,
  reason: "relocation" as const,
  reasonDate: "2026-12-01",
  identity: identity(),
});
const cancel = () =>
  newEnvelope({
    kind: "moveOutCancel",
    from: a.lgCode,
    to: b.lgCode,
    applicationId: randomUUID(),
    body: { applicationId: randomUUID() },
  });

describe("JukiNetClient", () => {
  it("sends identity updates with a client assertion; out of order is retryable with the expected sequence", async () => {
    const early = await client.identityUpdate(update(2)).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(JukiNetRetryableError);
    expect(early).toMatchObject({ status: 409, code: "outOfOrder", expectedSequence: 1 });
    const ok = await client.identityUpdate(update(1));
    expect(ok).toMatchObject({ applied: true, sequence: 1 });
    const found = await client.lookup(a.lgCode, { by: "residentCode", residentCode: person.residentCode });
    expect(found.level).toBe("municipality");
  });

  it("signs, sends, fetches, verifies and acknowledges a message between hosted municipalities", async () => {
    const envelope = cancel();
    const jws = await client.sign(envelope);
    const sent = await client.sendMessage(jws);
    expect(sent).toMatchObject({ id: envelope.id, accepted: true, route: "mailbox" });
    // A repeat answers the first answer.
    expect(await client.sendMessage(jws)).toEqual(sent);
    const list = await client.mailboxList(b.lgCode);
    expect(list.map((m) => m.id)).toContain(envelope.id);
    const fetched = await client.mailboxFetch(b.lgCode, envelope.id);
    expect(await client.verify(fetched.jws)).toEqual(envelope);
    expect(await client.mailboxAck(b.lgCode, envelope.id)).toMatchObject({ acked: true });
    expect((await client.mailboxList(b.lgCode)).map((m) => m.id)).not.toContain(envelope.id);
  });

  it("refuses a message signed with another municipality's key", async () => {
    const envelope = cancel();
    const forged = await signMessage(envelope, devKeyPair(data.dir, `cs-${b.lgCode}`, "ES256").privateJwk);
    await expect(client.verify(forged)).rejects.toBeInstanceOf(JukiNetRejectedError);
    const err = await client.sendMessage(forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err).toMatchObject({ status: 401, code: "badSignature" });
  });

  it("treats 4xx as unrecoverable: another municipality's mailbox, an unknown message", async () => {
    await expect(client.mailboxFetch(a.lgCode, randomUUID())).rejects.toMatchObject({
      status: 404,
      name: "JukiNetRejectedError",
    });
    const invalid = await client
      .identityUpdate({ ...update(1), reasonDate: "someday" })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(UnrecoverableError);
    expect(invalid).toMatchObject({ status: 400, code: "invalid" });
    expect((invalid as Error).message).not.toContain(person.residentCode);
  });

  it("treats 5xx and timeouts as retryable", async () => {
    system.setFault("messages", { mode: "fail" });
    const failed = await client.sendMessage(await client.sign(cancel())).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(JukiNetRetryableError);
    expect(failed).not.toBeInstanceOf(UnrecoverableError);
    expect(failed).toMatchObject({ status: 503 });

    system.setFault("messages", { mode: "timeout" });
    const started = Date.now();
    const timedOut = await client.sendMessage(await client.sign(cancel())).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(JukiNetRetryableError);
    expect((timedOut as Error).message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5_000);
    system.setFault("messages", null);
  });
});

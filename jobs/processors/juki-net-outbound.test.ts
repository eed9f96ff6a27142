import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOutboundMessage } from "../../backoffice/pipeline/outbound.js";
import { moveOut } from "../../backoffice/register/commands/index.js";
import { worldResidentId } from "../../backoffice/register/seed.js";
import type { WorldPerson } from "../../lib/world.js";
import { newEnvelope } from "../../mocks/juki-net/protocol.js";
import { hosted } from "../../mocks/juki-net/testing.js";
import { consumeOnce } from "../inbox.js";
import { type Bench, eventually, pipelineBench, silent } from "../juki-net/test-support.js";
import { jukiNetIdentityProcessor } from "./juki-net-identity.js";
import { jukiNetOutboundProcessor } from "./juki-net-outbound.js";

/**
 * Outbound 住基ネット messages through the outbox (stored signed, sent until accepted, once) and
 * the register's identity updates (本人確認情報) with the contract's per-person sequence.
 */
let b: Bench;
beforeAll(async () => {
  b = await pipelineBench();
  b.start([jukiNetOutboundProcessor(() => b.deps), jukiNetIdentityProcessor(() => b.deps)]);
}, 180_000);
afterAll(async () => {
  await b?.close();
}, 60_000);

const pair = () => {
  const [a, c] = hosted(b.f.world);
  return { from: a!.lgCode, to: c!.lgCode };
};
const cancelEnvelope = () => {
  const { from, to } = pair();
  const applicationId = randomUUID();
  return newEnvelope({ kind: "moveOutCancel", from, to, applicationId, body: { applicationId } });
};
const rowOf = (id: string) =>
  b.db.selectFrom("register.outbound_message").selectAll().where("id", "=", id).executeTakeFirst();

async function write(envelope = cancelEnvelope()) {
  await b.db
    .transaction()
    .execute((trx) => writeOutboundMessage(trx, envelope, (e) => b.deps.jukiNet.sign(e)));
  return envelope;
}

describe("juki-net outbound", () => {
  it("stores the signed message, sends it, and marks it accepted (delivered to the hosted mailbox)", async () => {
    const envelope = await write();
    const row = await eventually(async () => {
      const r = await rowOf(envelope.id);
      return r?.status === "accepted" ? r : undefined;
    });
    expect(row.route).toBe("mailbox");
    const job = await b.db
      .selectFrom("messaging.outbox")
      .select("payload")
      .where("queue", "=", "juki-net-outbound")
      .execute();
    // The job carries the id only.
    expect(job.map((j) => j.payload)).toContainEqual({ outboundId: envelope.id });
    const fetched = await b.deps.jukiNet.mailboxFetch(envelope.to, envelope.id);
    expect(await b.deps.jukiNet.verify(fetched.jws)).toEqual(envelope);
  });

  it("retries while the network fails and sends once it recovers", async () => {
    const posts = () => b.calls.filter((c) => c === "POST /cs/messages").length;
    const before = posts();
    b.jukiNet.system.setFault("messages", { mode: "fail" });
    try {
      const envelope = await write();
      await eventually(async () => posts() >= before + 3, 30_000);
      expect((await rowOf(envelope.id))?.status).toBe("pending");
      b.jukiNet.system.setFault("messages", null);
      await eventually(async () => (await rowOf(envelope.id))?.status === "accepted", 60_000);
    } finally {
      b.jukiNet.system.setFault("messages", null);
    }
  }, 90_000);

  it("a redelivered job has no second effect", async () => {
    const envelope = await write();
    await eventually(async () => (await rowOf(envelope.id))?.status === "accepted");
    const sent = () =>
      b.jukiNet.system.recorded.filter((r) => r.endpoint === "messages" && r.status === 202).length;
    const before = sent();
    const processor = jukiNetOutboundProcessor(() => b.deps);
    // Same message id, as BullMQ would redeliver it: the inbox refuses it.
    const outboxRow = await b.db
      .selectFrom("messaging.outbox")
      .select(["id", "lg_code"])
      .where("queue", "=", "juki-net-outbound")
      .where(sql`payload->>'outboundId'`, "=", envelope.id)
      .executeTakeFirstOrThrow();
    const redelivery = {
      messageId: outboxRow.id,
      lgCode: outboxRow.lg_code,
      data: { outboundId: envelope.id },
    };
    const outcome = await consumeOnce(b.db, "messaging", processor.consumer, redelivery, (trx) =>
      processor.handle({
        trx: trx as never,
        envelope: redelivery,
        data: redelivery.data,
        logger: silent,
      }),
    );
    expect(outcome.applied).toBe(false);
    // Even past the inbox (a new job for the same stored message), an accepted message is not resent.
    const fresh = { messageId: randomUUID(), lgCode: outboxRow.lg_code, data: { outboundId: envelope.id } };
    await consumeOnce(b.db, "messaging", processor.consumer, fresh, (trx) =>
      processor.handle({
        trx: trx as never,
        envelope: fresh,
        data: fresh.data,
        logger: silent,
      }),
    );
    expect(sent()).toBe(before);
  });
});

describe("juki-net identity updates", () => {
  function household(): WorldPerson[] {
    const lg = pair().from;
    const people = b.f.world.people.filter((p) => p.lgCode === lg && !p.supportMeasure);
    const byHousehold = new Map<string, WorldPerson[]>();
    for (const p of people) byHousehold.set(p.householdId, [...(byHousehold.get(p.householdId) ?? []), p]);
    return [...byHousehold.values()].sort((x, y) => x.length - y.length)[0]!;
  }

  it("sends each change's 本人確認情報 with the person's sequence 1, 2 … in order", async () => {
    const members = household();
    const lgCode = pair().from;
    const today = b.deps.today();
    const ctx = { db: b.db, keys: b.f.keys, actor: { system: "test" }, today };
    const residentIds = members.map(worldResidentId);
    const destination = { lgCode: pair().to, address: "どこか1-1" };
    await moveOut(ctx, {
      requestKey: randomUUID(),
      lgCode,
      residentIds,
      plannedOn: today,
      notifiedOn: today,
      destination,
    });
    const { moveOutCancel } = await import("../../backoffice/register/commands/index.js");
    await moveOutCancel(ctx, { requestKey: randomUUID(), lgCode, residentIds, notifiedOn: today });

    const state = b.jukiNet.system.state;
    for (const p of members) {
      const history = await eventually(async () => {
        const h = state.history(p.residentCode).filter((e) => e.lgCode === lgCode);
        return h.length >= 3 ? h : undefined;
      }, 60_000);
      expect(history.map((e) => e.sequence)).toEqual([0, 1, 2]);
      expect(history.every((e) => !e.removed)).toBe(true);
      expect(history[1]!.myNumber).toBe(p.myNumber);
    }
    // A job handled again past the inbox (same message id): the network answers its first answer.
    const first = members[0]!;
    const job = await b.db
      .selectFrom("messaging.outbox")
      .select(["id", "lg_code", "payload", "ordering_key", "sequence"])
      .where("queue", "=", "juki-net-identity")
      .where(sql`payload->>'residentId'`, "=", worldResidentId(first))
      .orderBy("seq")
      .executeTakeFirstOrThrow();
    const identity = jukiNetIdentityProcessor(() => b.deps);
    const again = {
      messageId: job.id,
      lgCode: job.lg_code,
      sequence: job.sequence!,
      orderingKey: job.ordering_key!,
      data: job.payload as { changeId: string; residentId: string },
    };
    await b.db
      .transaction()
      .execute((trx) =>
        identity.handle({ trx: trx as never, envelope: again, data: again.data, logger: silent }),
      );
    expect(state.history(first.residentCode).filter((e) => e.lgCode === lgCode)).toHaveLength(3);
    const duplicates = b.jukiNet.system.recorded.filter(
      (r) => r.endpoint === "identity-update" && r.status === 409,
    );
    expect(duplicates).toHaveLength(0);
  }, 90_000);
});

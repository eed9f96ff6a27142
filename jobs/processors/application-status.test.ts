import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PortalDatabase } from "../../db/types/portal.js";
import { createLogger } from "../../lib/logger.js";
import {
  addHistory,
  historyOf,
  markSubmitted,
  upsertDraft,
} from "../../portal/applications/applications.queries.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import {
  backofficeDb,
  createTestDatabase,
  portalDb,
  redisPrefix,
  type TestDatabase,
} from "../../tests/support/database.js";
import { createQueueBackend, type QueueBackend } from "../backend.js";
import { enqueue, startRelay } from "../outbox.js";
import { runProcessor } from "../processor.js";
import type { ApplicationStatus } from "../queues.js";
import { applicationStatusProcessor } from "./application-status.js";

const logger = createLogger({ name: "test", level: "silent" });

let t: TestDatabase;
let portal: Kysely<PortalDatabase>;
let office: Kysely<BackofficeDatabase>;
let backend: QueueBackend;

beforeAll(async () => {
  t = await createTestDatabase();
  portal = portalDb(t);
  office = backofficeDb(t);
  backend = await createQueueBackend({ kind: "redis", url: inject("redisUrl"), prefix: redisPrefix() });
});
afterAll(async () => {
  await backend.close();
  await portal.destroy();
  await office.destroy();
  await t.drop();
});

async function submittedApplication(): Promise<string> {
  const id = randomUUID();
  const doc = {
    version: 1,
    applicationId: id,
    kind: "moveOut",
    filedOn: "2026-11-26",
    origin: { lgCode: "131075", name: "東京都墨田区", addressLine: "" },
    destination: {
      lgCode: "131067",
      name: "東京都台東区",
      town: "上野",
      chome: 1,
      block: 1,
      lot: null,
      building: null,
    },
    plannedMoveDate: "2026-12-10",
    plannedVisitDate: "2026-12-14",
    existingHouseholdHead: null,
    members: [
      {
        position: 0,
        isFiler: true,
        familyName: "試験",
        givenName: "一",
        familyKana: "シケン",
        givenKana: "ハジメ",
        birthDate: "1980-01-01",
        relationship: "head",
        cardContinuedUse: true,
      },
    ],
    contact: { phone: "03-0000-0000", email: "a@example.jp" },
  } satisfies ApplicationDocument;
  await portal.transaction().execute(async (trx) => {
    const now = new Date();
    await upsertDraft(trx, "holder-a", doc, now);
    await markSubmitted(trx, id, {
      receiptNumber: `T-${id}`,
      digest: "d",
      signature: "sig",
      certificatePem: "pem",
      now,
    });
    await addHistory(trx, { applicationId: id, status: "received", actor: "resident", now });
  });
  return id;
}

/** The back office's side: status messages written through its outbox, in order. */
async function sendStatuses(
  applicationId: string,
  statuses: ApplicationStatus[],
  reasonCode?: string,
): Promise<void> {
  await office.transaction().execute(async (trx) => {
    for (const status of statuses) {
      await enqueue(trx, "messaging", {
        queue: "applicationStatus",
        lgCode: "131075",
        data: { applicationId, status, ...(reasonCode ? { reasonCode } : {}) },
        orderingKey: `application:${applicationId}`,
      });
    }
  });
}

async function statusOf(id: string): Promise<{ status: string; reason_code: string | null }> {
  return portal
    .selectFrom("portal.application")
    .select(["status", "reason_code"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function waitFor(predicate: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("application-status processor (real database and queue)", () => {
  it("records each forward status with a history row, and ignores one that would go backwards", async () => {
    const worker = runProcessor(applicationStatusProcessor, { backend, dbs: { portal }, logger });
    const relay = startRelay({ db: office, schema: "messaging", backend, logger });
    try {
      const id = await submittedApplication();
      await sendStatuses(id, ["moveOutAccepted", "awaitingVisit", "completed"]);
      await waitFor(async () => (await historyOf(portal, id)).length === 4);
      expect((await statusOf(id)).status).toBe("completed");

      // 完了 → 受付済み: a late message must not undo the completion.
      await sendStatuses(id, ["received", "awaitingVisit"]);
      const counted = async () =>
        Number(
          (
            await office
              .selectFrom("messaging.outbox")
              .select((eb) => eb.fn.countAll().as("n"))
              .where("published_at", "is", null)
              .executeTakeFirstOrThrow()
          ).n,
        );
      await waitFor(async () => (await counted()) === 0);
      await waitFor(async () => {
        const r = await portal
          .selectFrom("portal.inbox")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("consumer", "=", "portal-application-status")
          .executeTakeFirstOrThrow();
        return Number(r.n) >= 5;
      });
      expect((await statusOf(id)).status).toBe("completed");
      expect((await historyOf(portal, id)).map((h) => h.status)).toEqual([
        "received",
        "moveOutAccepted",
        "awaitingVisit",
        "completed",
      ]);
    } finally {
      await relay.stop();
      await worker.close();
    }
  });

  it("keeps the 差戻し reason code for the resident's page, and a second delivery adds nothing", async () => {
    const worker = runProcessor(applicationStatusProcessor, { backend, dbs: { portal }, logger });
    const relay = startRelay({ db: office, schema: "messaging", backend, logger });
    try {
      const id = await submittedApplication();
      await sendStatuses(id, ["returned"], "addressNotFound");
      await waitFor(async () => (await statusOf(id)).status === "returned");
      expect((await statusOf(id)).reason_code).toBe("addressNotFound");
      const history = await historyOf(portal, id);
      expect(history.at(-1)).toMatchObject({
        status: "returned",
        reasonCode: "addressNotFound",
        actor: "backoffice",
      });

      // Redelivery of the same message (same id, new job): the inbox stops a second history row.
      const row = await office
        .selectFrom("messaging.outbox")
        .select(["id", "payload", "ordering_key", "sequence"])
        .where("ordering_key", "=", `application-status:application:${id}`)
        .executeTakeFirstOrThrow();
      await backend.queue("application-status").add(
        "application-status",
        {
          messageId: row.id,
          lgCode: "131075",
          orderingKey: row.ordering_key,
          sequence: row.sequence,
          data: row.payload,
        },
        { jobId: `${row.id}-again` },
      );
      await waitFor(
        async () =>
          (await backend.queue("application-status").getJob(`${row.id}-again`))
            ?.getState()
            .then((s) => s === "completed") ?? false,
      );
      expect(await historyOf(portal, id)).toHaveLength(history.length);
    } finally {
      await relay.stop();
      await worker.close();
    }
  });

  it("ignores a status for an application the portal does not know", async () => {
    const worker = runProcessor(applicationStatusProcessor, { backend, dbs: { portal }, logger });
    const relay = startRelay({ db: office, schema: "messaging", backend, logger });
    try {
      const id = randomUUID();
      await sendStatuses(id, ["completed"]);
      await waitFor(async () => {
        const r = await portal
          .selectFrom("portal.inbox")
          .select("message_id")
          .where("consumer", "=", "portal-application-status")
          .execute();
        const ids = await office
          .selectFrom("messaging.outbox")
          .select("id")
          .where("ordering_key", "like", `%${id}`)
          .execute();
        return ids.length === 1 && r.some((x) => x.message_id === ids[0]!.id);
      });
      expect(
        await portal.selectFrom("portal.application").select("id").where("id", "=", id).execute(),
      ).toEqual([]);
    } finally {
      await relay.stop();
      await worker.close();
    }
  });
});

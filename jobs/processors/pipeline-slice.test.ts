import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reservationsOf } from "../../backoffice/pipeline/reservations.queries.js";
import { worldResidentId } from "../../backoffice/register/seed.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { WorldPerson } from "../../lib/world.js";
import { hosted } from "../../mocks/juki-net/testing.js";
import {
  addHistory,
  historyOf,
  markSubmitted,
  upsertDraft,
} from "../../portal/applications/applications.queries.js";
import { newReceiptNumber } from "../../portal/applications/receipt-number.js";
import { createTestPki, type TestPki } from "../../portal/signing/test-pki.js";
import { applicationFor, sealed } from "../juki-net/applications.js";
import { type Bench, eventually, pipelineBench } from "../juki-net/test-support.js";
import { enqueue } from "../outbox.js";
import { applicationStatusProcessor } from "./application-status.js";
import { intakeProcessor } from "./intake.js";
import { jukiNetInboundProcessor } from "./juki-net-inbound.js";
import { jukiNetOutboundProcessor } from "./juki-net-outbound.js";

/**
 * The first slice end to end, every processor running on the real database and queue: an
 * application submitted in the portal's tables (its own queries) with the sealed intake job in the
 * portal's outbox → intake at the hosted origin → scheduled 転出 → 転出証明書情報 through the
 * 住基ネット stand-in → inbound at the hosted destination → reservation → the portal's application
 * moves 受付済み → 転出受理 → 来庁待ち. The network fails a third of its calls meanwhile.
 */
const CARD_IDP = "http://card-idp.test";
const msw = setupServer();
let pki: TestPki;
let signer: Awaited<ReturnType<TestPki["issue"]>>;
let b: Bench;

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue({ serial: "3001" });
  msw.use(
    http.get(`${CARD_IDP}/jpki/root.pem`, () => new HttpResponse(pki.rootPem)),
    http.get(`${CARD_IDP}/jpki/certificates/:serial/status`, ({ params }) =>
      HttpResponse.json({ serial: params.serial, status: "good" }),
    ),
  );
  msw.listen({ onUnhandledRequest: "bypass" });
  b = await pipelineBench({ cardIdpUrl: CARD_IDP });
  b.start([
    applicationStatusProcessor,
    intakeProcessor(() => b.deps),
    jukiNetOutboundProcessor(() => b.deps),
    jukiNetInboundProcessor(() => b.deps),
  ]);
}, 180_000);
afterAll(async () => {
  await b?.close();
  msw.close();
}, 60_000);

function households(lgCode: string): WorldPerson[][] {
  const byHousehold = new Map<string, WorldPerson[]>();
  for (const p of b.f.world.people.filter((x) => x.lgCode === lgCode)) {
    byHousehold.set(p.householdId, [...(byHousehold.get(p.householdId) ?? []), p]);
  }
  return [...byHousehold.values()]
    .filter((x) => x.every((p) => !p.supportMeasure))
    .map((h) =>
      [...h].sort((x, y) => (x.relationship === "世帯主" ? -1 : y.relationship === "世帯主" ? 1 : 0)),
    );
}

describe("pipeline slice: portal → origin → 住基ネット → destination → portal", () => {
  it("every application reaches 来庁待ち with one reservation and every person 転出予定, despite network failures", async () => {
    const [origin, destination] = hosted(b.f.world);
    const batch = households(origin!.lgCode).slice(0, 3);
    b.jukiNet.system.setFault("messages", { mode: "fail", rate: 0.3 });
    b.jukiNet.system.setFault("mailbox-fetch", { mode: "fail", rate: 0.3 });
    b.jukiNet.system.setFault("mailbox-ack", { mode: "fail", rate: 0.3 });
    const publicJwk = devKeyPair(b.dataDir, "intake-sealing", "ECDH-ES+A256KW").publicJwk;
    const today = b.deps.today();
    const ids: string[] = [];
    try {
      for (const people of batch) {
        const doc = applicationFor(people, {
          destination: {
            lgCode: destination!.lgCode,
            name: destination!.name,
            town: destination!.towns[0]?.name ?? "本町",
          },
          today,
        });
        const seal = await sealed(doc, signer, publicJwk);
        const { digest, signature } = signer.sign(doc);
        await b.portal.transaction().execute(async (trx) => {
          const now = new Date();
          await upsertDraft(trx, `holder-${doc.applicationId}`, doc, now);
          await markSubmitted(trx, doc.applicationId, {
            receiptNumber: newReceiptNumber(),
            digest,
            signature,
            certificatePem: signer.certificatePem,
            now,
          });
          await addHistory(trx, {
            applicationId: doc.applicationId,
            status: "received",
            actor: "resident",
            now,
          });
          await enqueue(trx, "portal", {
            queue: "intake",
            lgCode: doc.origin.lgCode,
            data: { applicationId: doc.applicationId, kind: "moveOut", sealed: seal },
          });
        });
        ids.push(doc.applicationId);
      }
      for (const id of ids) {
        await eventually(async () => {
          const row = await b.portal
            .selectFrom("portal.application")
            .select("status")
            .where("id", "=", id)
            .executeTakeFirst();
          return row?.status === "awaitingVisit";
        }, 90_000);
      }
    } finally {
      b.jukiNet.system.clearFaults();
    }
    for (const [i, id] of ids.entries()) {
      expect((await historyOf(b.portal, id)).map((h) => h.status)).toEqual([
        "received",
        "moveOutAccepted",
        "awaitingVisit",
      ]);
      const reservations = await reservationsOf(b.db, id);
      expect(reservations).toHaveLength(1);
      expect(reservations[0]!.lgCode).toBe(destination!.lgCode);
      const statuses = await b.db
        .selectFrom("register.resident")
        .select("status")
        .where("id", "in", batch[i]!.map(worldResidentId))
        .execute();
      expect(statuses.every((s) => s.status === "moveOutScheduled")).toBe(true);
    }
    // Every certificate acknowledged at the destination's mailbox (nothing left to re-announce).
    await eventually(
      async () => (await b.deps.jukiNet.mailboxList(destination!.lgCode, true)).length === 0,
      60_000,
    );
    const stats = (await (await fetch(`${b.jukiNet.url}/cs/stats`)).json()) as {
      messages: { received: number; duplicates: number };
    };
    // Counts in the Jepsen style, for the reader of the test log.
    console.info(
      `pipeline slice: applications=${ids.length} delivered=${ids.length} certificates=${stats.messages.received} network-duplicates=${stats.messages.duplicates} lost=0`,
    );
  }, 180_000);
});

import { sql } from "kysely";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reservationsOf } from "../../backoffice/pipeline/reservations.queries.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { WorldPerson } from "../../lib/world.js";
import { hosted, standInResident } from "../../mocks/juki-net/testing.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import { createTestPki, type TestPki } from "../../portal/signing/test-pki.js";
import { consumeOnce } from "../inbox.js";
import { applicationFor, sealed } from "../juki-net/applications.js";
import { type Bench, eventually, pipelineBench, silent } from "../juki-net/test-support.js";
import { enqueue } from "../outbox.js";
import { intakeProcessor } from "./intake.js";
import { jukiNetInboundProcessor } from "./juki-net-inbound.js";
import { jukiNetOutboundProcessor } from "./juki-net-outbound.js";

/**
 * At the destination: a 転出証明書情報 from the mailbox becomes a counter reservation and 来庁待ち,
 * acknowledged after commit; from a hosted origin (the whole slice: intake → certificate →
 * inbound) and from a stand-in origin (forwarded moveOutRequest → its certificate or refusal).
 */
const CARD_IDP = "http://card-idp.test";
const msw = setupServer();
let pki: TestPki;
let signer: Awaited<ReturnType<TestPki["issue"]>>;
let b: Bench;

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue({ serial: "2001" });
  msw.use(
    http.get(`${CARD_IDP}/jpki/root.pem`, () => new HttpResponse(pki.rootPem)),
    http.get(`${CARD_IDP}/jpki/certificates/:serial/status`, ({ params }) =>
      HttpResponse.json({ serial: params.serial, status: "good" }),
    ),
  );
  msw.listen({ onUnhandledRequest: "bypass" });
  b = await pipelineBench({ cardIdpUrl: CARD_IDP });
  b.start([
    intakeProcessor(() => b.deps),
    jukiNetOutboundProcessor(() => b.deps),
    jukiNetInboundProcessor(() => b.deps),
  ]);
}, 180_000);
afterAll(async () => {
  await b?.close();
  msw.close();
}, 60_000);

const hostedPair = () => {
  const [origin, destination] = hosted(b.f.world);
  return { origin: origin!, destination: destination! };
};

function household(lgCode: string): WorldPerson[] {
  const byHousehold = new Map<string, WorldPerson[]>();
  for (const p of b.f.world.people.filter((x) => x.lgCode === lgCode)) {
    byHousehold.set(p.householdId, [...(byHousehold.get(p.householdId) ?? []), p]);
  }
  const h = [...byHousehold.values()]
    .filter((x) => x.every((p) => !p.supportMeasure))
    .sort((x, y) => y.length - x.length)[0]!;
  return [...h].sort((x, y) => (x.relationship === "世帯主" ? -1 : y.relationship === "世帯主" ? 1 : 0));
}

function doc(people: WorldPerson[]): ApplicationDocument {
  const { destination } = hostedPair();
  return applicationFor(people, {
    destination: {
      lgCode: destination.lgCode,
      name: destination.name,
      town: destination.towns[0]?.name ?? "本町",
    },
    today: b.deps.today(),
  });
}

async function submit(d: ApplicationDocument, receiptNumber?: string) {
  const publicJwk = devKeyPair(b.dataDir, "intake-sealing", "ECDH-ES+A256KW").publicJwk;
  const seal = await sealed(d, signer, publicJwk);
  await b.portal.transaction().execute((trx) =>
    enqueue(trx, "portal", {
      queue: "intake",
      lgCode: d.origin.lgCode,
      data: {
        applicationId: d.applicationId,
        kind: "moveOut",
        sealed: seal,
        ...(receiptNumber ? { receiptNumber } : {}),
      },
    }),
  );
}

async function statusesOf(applicationId: string) {
  const rows = await b.db
    .selectFrom("messaging.outbox")
    .select(["payload", "lg_code"])
    .where("queue", "=", "application-status")
    .where(sql`payload->>'applicationId'`, "=", applicationId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => {
    const p = r.payload as { status: string; reasonCode?: string };
    return p.reasonCode ? `${p.status}:${p.reasonCode}` : p.status;
  });
}

const mailboxMessage = (lgCode: string, applicationId: string, kind: string) =>
  eventually(async () => {
    const all = await b.deps.jukiNet.mailboxList(lgCode, false);
    for (const m of all.filter((x) => x.kind === kind)) {
      const full = await b.deps.jukiNet.mailboxFetch(lgCode, m.id);
      if (full.envelope.applicationId === applicationId) return full;
    }
    return undefined;
  }, 60_000);

describe("at the destination", () => {
  it("hosted origin → hosted destination: intake, 転出証明書情報, reservation, 転出受理 then 来庁待ち; acknowledged", async () => {
    const { origin, destination } = hostedPair();
    const people = household(origin.lgCode);
    const d = doc(people);
    await submit(d, "1234-5678-9012");
    const reservation = await eventually(
      async () => (await reservationsOf(b.db, d.applicationId))[0],
      60_000,
    );
    expect(reservation).toMatchObject({
      lgCode: destination.lgCode,
      originLgCode: origin.lgCode,
      status: "waiting",
      plannedMoveOutDate: d.plannedMoveDate,
      plannedVisitDate: d.plannedVisitDate,
      // The 受付番号 travels with the 転出証明書情報: the counter finds the reservation by it.
      receiptNumber: "1234-5678-9012",
    });
    expect((reservation.people as unknown[]).length).toBe(people.length);
    expect(await statusesOf(d.applicationId)).toEqual(["moveOutAccepted", "awaitingVisit"]);
    const message = await mailboxMessage(destination.lgCode, d.applicationId, "moveOutCertificate");
    await eventually(
      async () => (await b.deps.jukiNet.mailboxFetch(destination.lgCode, message.id)).acked,
      30_000,
    );

    // Redelivered (same message id): no second effect; acknowledged again.
    const processor = jukiNetInboundProcessor(() => b.deps);
    const envelope = {
      messageId: message.id,
      lgCode: destination.lgCode,
      data: { messageId: message.id, kind: "moveOutCertificate" },
    };
    const outcome = await consumeOnce(b.db, "messaging", processor.consumer, envelope, (trx) =>
      processor.handle({ trx: trx as never, envelope, data: envelope.data, logger: silent }),
    );
    expect(outcome.applied).toBe(false);
    expect(await reservationsOf(b.db, d.applicationId)).toHaveLength(1);
    expect(await statusesOf(d.applicationId)).toEqual(["moveOutAccepted", "awaitingVisit"]);
  }, 120_000);

  it("stand-in origin: the application is forwarded; its certificate becomes a reservation, a repeat is refused", async () => {
    const { destination } = hostedPair();
    const { person } = standInResident(b.f.world);
    const first = doc([person]);
    await submit(first);
    const reservation = await eventually(
      async () => (await reservationsOf(b.db, first.applicationId))[0],
      60_000,
    );
    expect(reservation).toMatchObject({
      lgCode: destination.lgCode,
      originLgCode: person.lgCode,
      status: "waiting",
    });
    expect(await statusesOf(first.applicationId)).toEqual(["moveOutAccepted", "awaitingVisit"]);
    const sent = await b.db
      .selectFrom("register.outbound_message")
      .select(["kind", "lg_code", "to_lg_code", "route"])
      .where("application_id", "=", first.applicationId)
      .execute();
    expect(sent).toEqual([
      { kind: "moveOutRequest", lg_code: destination.lgCode, to_lg_code: person.lgCode, route: "standIn" },
    ]);

    // The same person again: the stand-in origin refuses (already moving) → 差戻し.
    const second = doc([person]);
    await submit(second);
    await eventually(async () => (await statusesOf(second.applicationId)).length > 0, 60_000);
    expect(await statusesOf(second.applicationId)).toEqual(["returned:alreadyMoving"]);
    expect(await reservationsOf(b.db, second.applicationId)).toHaveLength(0);
  }, 120_000);
});

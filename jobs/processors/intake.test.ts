import { sql } from "kysely";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { worldResidentId } from "../../backoffice/register/seed.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { WorldPerson } from "../../lib/world.js";
import { hosted, standIn } from "../../mocks/juki-net/testing.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import { createTestPki, type TestPki } from "../../portal/signing/test-pki.js";
import { consumeOnce } from "../inbox.js";
import { applicationFor, sealed } from "../juki-net/applications.js";
import { type Bench, eventually, pipelineBench, silent } from "../juki-net/test-support.js";
import { enqueue } from "../outbox.js";
import { intakeProcessor } from "./intake.js";
import { jukiNetOutboundProcessor } from "./juki-net-outbound.js";

/**
 * Intake at a hosted origin: a signed, sealed application from the portal's outbox becomes a
 * scheduled 転出 per person, a 転出証明書情報 at the destination's mailbox and 転出受理 for the
 * portal; refusals become 差戻し with a reason code; a redelivery has no second effect.
 */
const CARD_IDP = "http://card-idp.test";
const revoked = new Set<string>();
const msw = setupServer();
let pki: TestPki;
let b: Bench;
let signer: Awaited<ReturnType<TestPki["issue"]>>;
let revokedSigner: Awaited<ReturnType<TestPki["issue"]>>;

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue({ serial: "1001" });
  revokedSigner = await pki.issue({ serial: "1002" });
  revoked.add("1002");
  msw.use(
    http.get(`${CARD_IDP}/jpki/root.pem`, () => new HttpResponse(pki.rootPem)),
    http.get(`${CARD_IDP}/jpki/certificates/:serial/status`, ({ params }) =>
      HttpResponse.json(
        revoked.has(String(params.serial))
          ? { serial: params.serial, status: "revoked", revokedAt: "2026-01-01T00:00:00.000Z" }
          : { serial: params.serial, status: "good" },
      ),
    ),
  );
  msw.listen({ onUnhandledRequest: "bypass" });
  b = await pipelineBench({ cardIdpUrl: CARD_IDP });
  b.start([intakeProcessor(() => b.deps), jukiNetOutboundProcessor(() => b.deps)]);
}, 180_000);
afterAll(async () => {
  await b?.close();
  msw.close();
}, 60_000);

const municipalities = () => {
  const [origin, destination] = hosted(b.f.world);
  return { origin: origin!, destination: destination! };
};

/** Households of the origin, smallest first, without 支援措置; each test takes its own. */
let taken = 0;
function nextHousehold(): WorldPerson[] {
  const lg = municipalities().origin.lgCode;
  const byHousehold = new Map<string, WorldPerson[]>();
  for (const p of b.f.world.people.filter((x) => x.lgCode === lg)) {
    byHousehold.set(p.householdId, [...(byHousehold.get(p.householdId) ?? []), p]);
  }
  const households = [...byHousehold.values()]
    .filter((h) => h.every((p) => !p.supportMeasure))
    .sort((x, y) => x.length - y.length || x[0]!.id.localeCompare(y[0]!.id));
  const h = households[taken++];
  if (!h) throw new Error("not enough households in the world file");
  // The head files.
  return [...h].sort((x, y) => (x.relationship === "世帯主" ? -1 : y.relationship === "世帯主" ? 1 : 0));
}

function doc(people: WorldPerson[], plannedInDays = 5): ApplicationDocument {
  const { destination } = municipalities();
  return applicationFor(people, {
    destination: {
      lgCode: destination.lgCode,
      name: destination.name,
      town: destination.towns[0]?.name ?? "本町",
    },
    today: b.deps.today(),
    plannedInDays,
  });
}

async function submit(
  d: ApplicationDocument,
  opts: { signer?: typeof signer; tamper?: (d: ApplicationDocument) => ApplicationDocument } = {},
) {
  const publicJwk = devKeyPair(b.dataDir, "intake-sealing", "ECDH-ES+A256KW").publicJwk;
  const seal = await sealed(d, opts.signer ?? signer, publicJwk, opts.tamper);
  await b.portal.transaction().execute((trx) =>
    enqueue(trx, "portal", {
      queue: "intake",
      lgCode: d.origin.lgCode,
      data: { applicationId: d.applicationId, kind: "moveOut", sealed: seal },
    }),
  );
  return seal;
}

async function statusesOf(applicationId: string): Promise<{ status: string; reasonCode?: string }[]> {
  const rows = await b.db
    .selectFrom("messaging.outbox")
    .select(["payload"])
    .where("queue", "=", "application-status")
    .where(sql`payload->>'applicationId'`, "=", applicationId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => {
    const p = r.payload as { status: string; reasonCode?: string };
    return { status: p.status, ...(p.reasonCode ? { reasonCode: p.reasonCode } : {}) };
  });
}
const settled = (applicationId: string) =>
  eventually(async () => {
    const s = await statusesOf(applicationId);
    return s.length > 0 ? s : undefined;
  }, 60_000);

const statusOfPeople = async (people: WorldPerson[]) =>
  (
    await b.db
      .selectFrom("register.resident")
      .select(["id", "status"])
      .where("id", "in", people.map(worldResidentId))
      .execute()
  ).map((r) => r.status);

describe("intake at a hosted origin", () => {
  it("schedules the 転出 of every person, sends the 転出証明書情報 and tells the portal 転出受理", async () => {
    const people = nextHousehold();
    const d = doc(people);
    await submit(d);
    expect(await settled(d.applicationId)).toEqual([{ status: "moveOutAccepted" }]);
    expect(await statusOfPeople(people)).toEqual(people.map(() => "moveOutScheduled"));

    const outbound = await eventually(async () => {
      const rows = await b.db
        .selectFrom("register.outbound_message")
        .selectAll()
        .where("application_id", "=", d.applicationId)
        .execute();
      return rows.length === 1 && rows[0]!.status === "accepted" ? rows[0]! : undefined;
    }, 60_000);
    expect(outbound).toMatchObject({ kind: "moveOutCertificate", route: "mailbox" });
    const { destination } = municipalities();
    const message = await b.deps.jukiNet.mailboxFetch(destination.lgCode, outbound.id);
    const envelope = await b.deps.jukiNet.verify(message.jws);
    const body = envelope.body as {
      persons: { residentCode: string; myNumber: string }[];
      plannedMoveOutDate: string;
    };
    expect(body.plannedMoveOutDate).toBe(d.plannedMoveDate);
    expect(body.persons.map((p) => p.residentCode).sort()).toEqual(people.map((p) => p.residentCode).sort());
    expect(body.persons.map((p) => p.myNumber).sort()).toEqual(people.map((p) => p.myNumber).sort());
    // The intake job and the outbound job carry no personal data in clear.
    const jobs = await b.db.selectFrom("messaging.outbox").select("payload").execute();
    const text = JSON.stringify(jobs);
    for (const p of people) {
      expect(text).not.toContain(p.residentCode);
      expect(text).not.toContain(p.name.family);
    }
  }, 90_000);

  it("a redelivered intake message has no second effect", async () => {
    const people = nextHousehold();
    const d = doc(people);
    const seal = await submit(d);
    await settled(d.applicationId);
    const job = await b.portal
      .selectFrom("portal.outbox")
      .select(["id", "lg_code"])
      .where(sql`payload->>'applicationId'`, "=", d.applicationId)
      .executeTakeFirstOrThrow();
    const processor = intakeProcessor(() => b.deps);
    const envelope = {
      messageId: job.id,
      lgCode: job.lg_code,
      data: { applicationId: d.applicationId, kind: "moveOut" as const, sealed: seal },
    };
    const outcome = await consumeOnce(b.db, "messaging", processor.consumer, envelope, (trx) =>
      processor.handle({ trx: trx as never, envelope, data: envelope.data, logger: silent }),
    );
    expect(outcome.applied).toBe(false);
    const changes = await b.db
      .selectFrom("register.resident_change")
      .select("id")
      .where("resident_id", "in", people.map(worldResidentId))
      .where("kind", "=", "moveOut")
      .execute();
    expect(changes).toHaveLength(people.length);
    expect(await statusesOf(d.applicationId)).toEqual([{ status: "moveOutAccepted" }]);
  }, 90_000);

  it("returns an application when no record matches", async () => {
    const people = nextHousehold();
    const d = doc(people);
    d.members[0]!.givenName = `${d.members[0]!.givenName}違`;
    d.members[0]!.givenKana = `${d.members[0]!.givenKana}チガ`;
    await submit(d);
    expect(await settled(d.applicationId)).toEqual([{ status: "returned", reasonCode: "noRecordMatched" }]);
    expect(await statusOfPeople(people)).toEqual(people.map(() => "active"));
  }, 90_000);

  it("returns a second application for people already moving", async () => {
    const people = nextHousehold();
    const first = doc(people);
    await submit(first);
    await settled(first.applicationId);
    const second = doc(people);
    await submit(second);
    expect(await settled(second.applicationId)).toEqual([
      { status: "returned", reasonCode: "alreadyMoving" },
    ]);
  }, 90_000);

  it("returns an application signed with a revoked certificate, a tampered one, and one outside the window", async () => {
    const people = nextHousehold();
    const r = doc(people);
    await submit(r, { signer: revokedSigner });
    const t = doc(people);
    await submit(t, { tamper: (x) => ({ ...x, plannedMoveDate: x.plannedVisitDate }) });
    const w = doc(people, 40);
    await submit(w);
    expect(await settled(r.applicationId)).toEqual([
      { status: "returned", reasonCode: "certificateRevoked" },
    ]);
    expect(await settled(t.applicationId)).toEqual([{ status: "returned", reasonCode: "signatureInvalid" }]);
    expect(await settled(w.applicationId)).toEqual([{ status: "returned", reasonCode: "outsideWindow" }]);
    expect(await statusOfPeople(people)).toEqual(people.map(() => "active"));
  }, 90_000);

  it("sends the 転出証明書情報 to a destination the stand-in plays (not hosted)", async () => {
    const people = nextHousehold();
    const target = standIn(b.f.world)[0]!;
    const d = applicationFor(people, {
      destination: { lgCode: target.lgCode, name: target.name, town: target.towns[0]?.name ?? "本町" },
      today: b.deps.today(),
    });
    await submit(d);
    expect(await settled(d.applicationId)).toEqual([{ status: "moveOutAccepted" }]);
    const row = await eventually(async () => {
      const r = await b.db
        .selectFrom("register.outbound_message")
        .select(["kind", "status", "route", "to_lg_code"])
        .where("application_id", "=", d.applicationId)
        .executeTakeFirst();
      return r?.status === "accepted" ? r : undefined;
    }, 60_000);
    expect(row).toEqual({
      kind: "moveOutCertificate",
      status: "accepted",
      route: "standIn",
      to_lg_code: target.lgCode,
    });
  }, 90_000);
});

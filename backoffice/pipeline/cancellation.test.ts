import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedMunicipalities } from "../../db/seed.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { loadWorld } from "../../lib/world.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import { type CancellationOutcome, cancelledBeforeIntake, cancelOnline } from "./cancellation.js";
import { insertMoveCase, lockMoveCases } from "./move-cases.queries.js";

/**
 * The race the whole-story fault run found: a cancellation that arrives while the intake of the
 * same application is running. Neither sees a case of the other's when it starts; without a lock
 * on the application the cancellation left a tombstone, the intake scheduled the 転出 anyway, and
 * the cancellation was lost.
 */
let t: TestDatabase;
let db: Kysely<BackofficeDatabase>;
const world = loadWorld();
const [origin, destination] = world.municipalities.filter((m) => m.hosted).map((m) => m.lgCode) as [
  string,
  string,
];
const today = new Date().toISOString().slice(0, 10);
const deps = {
  keys: { encryptionKey: randomBytes(32), indexKey: randomBytes(32) },
  today,
  now: new Date(),
  sign: async () => "header.payload.signature",
};

beforeAll(async () => {
  t = await createTestDatabase();
  db = backofficeDb(t);
  await seedMunicipalities(db, world);
});
afterAll(async () => {
  await db?.destroy();
  await t?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a cancellation racing the intake of its application", () => {
  it("waits for the intake and then asks the destination, instead of leaving a tombstone the intake never sees", async () => {
    const applicationId = randomUUID();
    let cancellation: Promise<CancellationOutcome> | undefined;
    let cancellationDoneAt = 0;
    let intakeCommittedAt = 0;
    await db.transaction().execute(async (intake) => {
      // The intake processor's first step, then (later) the case it opens.
      expect(await cancelledBeforeIntake(intake, applicationId)).toBe(false);
      cancellation = db
        .transaction()
        .execute((trx) => cancelOnline(trx, origin, applicationId, deps))
        .then((outcome) => {
          cancellationDoneAt = Date.now();
          return outcome;
        });
      await sleep(500);
      await insertMoveCase(intake, {
        lgCode: origin,
        applicationId,
        role: "origin",
        counterpartLgCode: destination,
        residentIds: [randomUUID()],
        plannedMoveOutDate: today,
      });
      intakeCommittedAt = Date.now();
    });
    const outcome = await cancellation!;
    expect(outcome.kind).toBe("askedDestination");
    expect(cancellationDoneAt).toBeGreaterThanOrEqual(intakeCommittedAt);
    const cases = await db.transaction().execute((trx) => lockMoveCases(trx, applicationId));
    expect(cases.map((c) => ({ role: c.role, status: c.status, people: c.residentIds.length }))).toEqual([
      { role: "origin", status: "cancelling", people: 1 },
    ]);
  });

  it("a cancellation that comes first leaves a tombstone, and the intake then does nothing", async () => {
    const applicationId = randomUUID();
    const outcome = await db.transaction().execute((trx) => cancelOnline(trx, origin, applicationId, deps));
    expect(outcome.kind).toBe("recordedBeforeIntake");
    expect(await db.transaction().execute((trx) => cancelledBeforeIntake(trx, applicationId))).toBe(true);
  });
});

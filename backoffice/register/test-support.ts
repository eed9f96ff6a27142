/**
 * Helpers for the register's tests: a migrated database with the world's municipalities, keys,
 * staff actors, and builders of valid people and addresses. Nothing here assumes who is in the
 * world file: towns and staff are taken from whatever file WORLD_FILE names.
 */
import { randomBytes, randomInt } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { seedMunicipalities } from "../../db/seed.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { loadWorld, type World, type WorldMunicipality } from "../../lib/world.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import type { Actor } from "./authorization.js";
import type { CommandActor, CommandContext } from "./commands/runner.js";
import type { IncomingPerson } from "./commands/shared.js";
import { replay } from "./history.js";
import { makeMyNumber, makeResidentCode } from "./identifiers.js";
import type { MyNumberKeys } from "./my-number.js";
import { rowToState } from "./record.js";
import { loadHistory, toHistoryEntries } from "./records.queries.js";
import type { AddressInput } from "./validation.js";

export interface RegisterFixture {
  t: TestDatabase;
  db: Kysely<BackofficeDatabase>;
  world: World;
  keys: MyNumberKeys;
  municipality: WorldMunicipality;
  clerk: Actor;
  supervisor: Actor;
  auditor: Actor;
  close(): Promise<void>;
}

export function testKeys(): MyNumberKeys {
  return { encryptionKey: randomBytes(32), indexKey: randomBytes(32) };
}

export async function registerFixture(): Promise<RegisterFixture> {
  const t = await createTestDatabase();
  const db = backofficeDb(t);
  const world = loadWorld();
  await seedMunicipalities(db, world);
  const municipality = world.municipalities.find(
    (m) => m.hosted && m.towns.filter((town) => town.chomeMax > 0).length >= 2,
  );
  if (!municipality) throw new Error("the world file needs a hosted municipality with at least two towns");
  const staff = (role: "clerk" | "supervisor" | "auditor"): Actor => {
    const s = world.staff.find((x) => x.lgCode === municipality.lgCode && x.roles.includes(role));
    return { staffId: s?.id ?? `test-${role}`, lgCode: municipality.lgCode, roles: [role] };
  };
  return {
    t,
    db,
    world,
    keys: testKeys(),
    municipality,
    clerk: staff("clerk"),
    supervisor: staff("supervisor"),
    auditor: staff("auditor"),
    async close() {
      await db.destroy();
      await t.drop();
    },
  };
}

export function context(f: RegisterFixture, actor: CommandActor, today: string): CommandContext {
  return { db: f.db, keys: f.keys, actor, today };
}

let counter = 0;
export function requestKey(prefix = "test"): string {
  counter++;
  return `${prefix}-${counter}-${randomBytes(4).toString("hex")}`;
}

export function newResidentCode(): string {
  return makeResidentCode(String(randomInt(0, 10_000_000_000)).padStart(10, "0"));
}

export function newMyNumber(): string {
  return makeMyNumber(String(randomInt(0, 100_000_000_000)).padStart(11, "0"));
}

/** A valid address in the municipality; `which` picks a different town or block. */
export function address(m: WorldMunicipality, which = 0): AddressInput {
  const towns = m.towns.filter((t) => t.chomeMax > 0);
  const town = towns[which % towns.length]!;
  return { town: town.name, chome: 1, block: 10 + which, lot: 1, building: null };
}

export function japanese(
  over: Partial<IncomingPerson> & { given?: string; givenKana?: string } = {},
): IncomingPerson {
  const { given, givenKana, ...rest } = over;
  return {
    name: { family: "試験", given: given ?? "太郎", familyKana: "シケン", givenKana: givenKana ?? "タロウ" },
    birthDate: "1980-05-01",
    sex: "male",
    nationality: "JP",
    honseki: { address: "東京都墨田区吾妻橋一丁目1番地", headOfFamily: "試験太郎" },
    residentCode: newResidentCode(),
    myNumber: newMyNumber(),
    relationship: "世帯主",
    ...rest,
  };
}

export function foreignResident(over: Partial<IncomingPerson> = {}): IncomingPerson {
  return {
    name: { family: "SMITH", given: "JOHN", familyKana: "スミス", givenKana: "ジョン" },
    birthDate: "1990-01-01",
    sex: "male",
    nationality: "US",
    foreigner: {
      category: "中長期在留者",
      becameResidentOn: "2026-11-01",
      status: "技術・人文知識・国際業務",
      periodOfStay: "3年",
      periodExpiresOn: "2029-11-01",
      residenceCardNumber: "AB12345678CD",
    },
    residentCode: null,
    myNumber: null,
    relationship: "世帯主",
    ...over,
  };
}

/** Rows in the tables a command writes, to prove that a refused command wrote nothing. */
export interface Counts {
  residents: number;
  households: number;
  changes: number;
  requests: number;
  audits: number;
  outbox: number;
}

export async function counts(db: Kysely<BackofficeDatabase>): Promise<Counts> {
  const r = await sql<Counts>`
    select (select count(*)::int from register.resident) as residents,
           (select count(*)::int from register.household) as households,
           (select count(*)::int from register.resident_change) as changes,
           (select count(*)::int from register.command_request) as requests,
           (select count(*)::int from audit.log where action like 'command.%') as audits,
           (select count(*)::int from messaging.outbox) as outbox`.execute(db);
  return r.rows[0]!;
}

/** Every record replayed from its history, compared with the stored row. Returns the mismatches. */
export async function replayMismatches(db: Kysely<BackofficeDatabase>): Promise<string[]> {
  const rows = await db.selectFrom("register.resident").selectAll().execute();
  const bad: string[] = [];
  for (const row of rows) {
    const replayed = replay(toHistoryEntries(await loadHistory(db, row.id)));
    const stored = rowToState(row);
    if (!replayed) {
      bad.push(`${row.id}: no history`);
      continue;
    }
    if (JSON.stringify(sortKeys(replayed.state)) !== JSON.stringify(sortKeys(stored))) {
      bad.push(`${row.id}: replayed record differs`);
    }
    if (replayed.version !== row.version) bad.push(`${row.id}: version ${row.version} ≠ ${replayed.version}`);
  }
  return bad;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

/** Households whose living members do not have exactly one head. */
export async function householdsBreakingHeadRule(db: Kysely<BackofficeDatabase>): Promise<string[]> {
  const r = await sql<{ household_id: string }>`
    select household_id from register.resident where status in ('active', 'moveOutScheduled')
    group by household_id having count(*) filter (where relationship = '世帯主') <> 1`.execute(db);
  return r.rows.map((x) => x.household_id);
}

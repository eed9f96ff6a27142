/**
 * Test support for the card work: every outside system real and in-process — the card IdP
 * stand-in (counter terminal, JPKI CA), the 住基ネット stand-in and the J-LIS card-management
 * stand-in, each on a free port — with a register database (tests/support) holding the world's
 * hosted residents plus a household of card holders built here (from whatever WORLD_FILE holds),
 * living in a municipality the stand-in plays, so that they can move into a hosted one.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { JukiNetClient } from "../../jobs/juki-net/client.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { World, WorldMunicipality, WorldPerson } from "../../lib/world.js";
import { startTestIdp, type TestIdp } from "../../mocks/card-idp/test-support.js";
import { cardManagement } from "../../mocks/card-management.js";
import { type JukiNetSystem, jukiNet } from "../../mocks/juki-net/index.js";
import { type MockSystem, serve } from "../../mocks/kit.js";
import { freePort } from "../../tests/support/free-port.js";
import { insertReservation } from "../pipeline/reservations.queries.js";
import type { Actor } from "../register/authorization.js";
import { moveIn } from "../register/commands/index.js";
import { makeMyNumber, makeResidentCode } from "../register/identifiers.js";
import { seedRegister } from "../register/seed.js";
import { address, type RegisterFixture, registerFixture, requestKey } from "../register/test-support.js";
import { type CardTerminal, cardTerminal } from "./card-terminal.js";
import { cardManagementClient } from "./jlis-client.js";

export const TODAY = "2026-11-26";

export type MoverKey = "active" | "suspended" | "unissued" | "spare" | "stranger";

export interface Mover {
  key: MoverKey;
  person: WorldPerson;
  authPin: string;
  signPin: string;
}

const GIVEN: Record<MoverKey, [string, string]> = {
  active: ["有効", "ユウコウ"],
  suspended: ["停止", "テイシ"],
  unissued: ["未交", "ミコウ"],
  spare: ["予備", "ヨビ"],
  stranger: ["他人", "タニン"],
};

/** Movers: card holders of a stand-in municipality; "stranger" is not on any reservation. */
function buildMovers(
  base: World,
  from: WorldMunicipality,
): { world: World; movers: Record<MoverKey, Mover> } {
  const template = base.people.find(
    (p) => p.card?.signCert && p.card.pins.sign && p.birthDate < "2000-01-01",
  );
  if (!template?.card)
    throw new Error("the world file needs an adult card holder with a signing certificate");
  const householdId = `CARDS-${randomInt(1e6)}`;
  const line = (n: number) => `${from.prefecture}${from.name}試験町一丁目${n}番1号`;
  const keys: MoverKey[] = ["active", "suspended", "unissued", "spare", "stranger"];
  const movers = {} as Record<MoverKey, Mover>;
  const people: WorldPerson[] = keys.map((key, i) => {
    const n = i + 1;
    const p: WorldPerson = structuredClone(template);
    p.id = `CARD-${key}-${randomInt(1e6)}`;
    p.residentCode = makeResidentCode(String(randomInt(0, 1e10)).padStart(10, "0"));
    p.myNumber = makeMyNumber(String(randomInt(0, 1e11)).padStart(11, "0"));
    p.name = { family: "札所", given: GIVEN[key][0], familyKana: "フダショ", givenKana: GIVEN[key][1] };
    p.birthDate = `1980-0${n}-1${n}`;
    p.sex = n % 2 ? "male" : "female";
    p.lgCode = from.lgCode;
    p.householdId = key === "stranger" ? `${householdId}-2` : householdId;
    p.relationship = n === 1 || key === "stranger" ? "世帯主" : "同居人";
    p.address = {
      lgCode: from.lgCode,
      prefecture: from.prefecture,
      city: from.name,
      town: "試験町",
      chome: 1,
      block: key === "stranger" ? 9 : 1,
      lot: 1,
      line: line(key === "stranger" ? 9 : 1),
    };
    delete p.supportMeasure;
    p.nationality = "JP";
    p.honseki = { address: `${from.prefecture}${from.name}試験町一丁目1番地`, headOfFamily: "札所 有効" };
    delete p.foreigner;
    const serial = (prefix: string) => `${prefix}${String(randomInt(1e9)).padStart(9, "0")}${n}`;
    p.card = {
      cardNumber: `7${String(randomInt(1e10)).padStart(10, "0")}${n}`,
      status: key === "suspended" ? "suspended" : "active",
      expiresOn: "2034-05-05",
      authCert: { serial: serial("31"), expiresOn: "2031-05-05", status: "valid" },
      signCert: { serial: serial("32"), expiresOn: "2031-05-05", status: "valid" },
      pins: { auth: String(2000 + n), assist: String(2000 + n), sign: `Fuda${n}Sign` },
    };
    movers[key] = { key, person: p, authPin: p.card.pins.auth, signPin: p.card.pins.sign! };
    return p;
  });
  const households = [
    ...base.households,
    { id: householdId, lgCode: from.lgCode, address: people[0]!.address },
    { id: `${householdId}-2`, lgCode: from.lgCode, address: people[4]!.address },
  ];
  return { world: { ...base, households, people: [...base.people, ...people] }, movers };
}

export interface Outside {
  world: World;
  movers: Record<MoverKey, Mover>;
  /** The stand-in municipality the movers come from. */
  from: WorldMunicipality;
  idp: TestIdp;
  terminal: CardTerminal;
  network: JukiNetClient;
  juki: JukiNetSystem;
  jlis: MockSystem;
  jlisUrl: string;
  /** J-LIS's clock (tests move it with the counter's business day). */
  jlisToday: { value: string };
  close(): Promise<void>;
}

export interface CardsFixture extends Outside {
  f: RegisterFixture;
  /** Staff of another hosted municipality (tenant checks). */
  otherClerk: Actor;
}

async function serveOn(system: MockSystem): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = await serve(system, port);
  return { url: `http://127.0.0.1:${port}`, server };
}

/** The card IdP, 住基ネット and J-LIS stand-ins over `base` plus the movers, each on a free port. */
export async function startOutside(base: World): Promise<Outside> {
  const from = base.municipalities.find((m) => !m.hosted);
  if (!from) throw new Error("the world file needs a municipality the stand-in plays");
  const { world, movers } = buildMovers(base, from);
  const idp = await startTestIdp({ world });
  const terminal = cardTerminal({
    baseUrl: idp.base,
    privateJwk: devKeyPair(idp.dataDir, "backoffice-oidc-client", "ES256").privateJwk,
  });
  const juki = jukiNet(world, { dataDir: idp.dataDir });
  const jukiServed = await serveOn(juki);
  const network = new JukiNetClient({ baseUrl: jukiServed.url, dataDir: idp.dataDir, timeoutMs: 5_000 });
  const jlisToday = { value: TODAY };
  const jlis = cardManagement(world, {
    now: () => new Date(`${jlisToday.value}T03:00:00Z`),
    unissuedCards: [movers.unissued.person.card!.cardNumber],
  });
  const jlisServed = await serveOn(jlis);
  return {
    world,
    movers,
    from,
    idp,
    terminal,
    network,
    juki,
    jlis,
    jlisUrl: jlisServed.url,
    jlisToday,
    async close() {
      for (const s of [jukiServed.server, jlisServed.server]) {
        await new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        });
      }
      await juki.close();
      await idp.close();
    },
  };
}

export async function cardsFixture(): Promise<CardsFixture> {
  const f = await registerFixture();
  await seedRegister(f.db, f.world, f.keys);
  const outside = await startOutside(f.world);
  const other = f.world.municipalities.find((m) => m.hosted && m.lgCode !== f.municipality.lgCode);
  const otherClerk: Actor = {
    staffId: "other-clerk",
    lgCode: other?.lgCode ?? "131083",
    roles: ["clerk"],
  };
  return {
    ...outside,
    f,
    otherClerk,
    async close() {
      await outside.close();
      await f.close();
    },
  };
}

export function jlisClient(c: Outside) {
  return cardManagementClient({ baseUrl: c.jlisUrl, timeoutMs: 5_000 });
}

/** The card id of a mover, from the terminal's list (as the counter's picker gets it). */
export async function cardIdOf(c: Outside, m: Mover): Promise<string> {
  const name = `${m.person.name.family} ${m.person.name.given}`;
  const item = (await c.terminal.cards()).find((x) => x.name === name);
  if (!item) throw new Error(`no card for ${m.key}`);
  return item.cardId;
}

/** A 転入予約 at the hosted municipality for the movers but the stranger, as the pipeline makes it. */
export async function reservationFor(
  c: Outside & { f: { db: Kysely<BackofficeDatabase>; municipality: { lgCode: string } } },
  change: (people: Record<string, unknown>[], certificate: Record<string, unknown>) => void = () => {},
): Promise<string> {
  const moving = (["active", "suspended", "unissued", "spare"] as const).map((k) => c.movers[k].person);
  const people: Record<string, unknown>[] = moving.map((p, i) => ({
    residentCode: p.residentCode,
    name: { ...p.name },
    birthDate: p.birthDate,
    sex: p.sex,
    relationship: p.relationship,
    householdHead: i === 0,
  }));
  const certificate: Record<string, unknown> = {
    certificateId: `cert-${randomUUID()}`,
    issuedOn: TODAY,
    origin: { lgCode: c.from.lgCode, address: { lgCode: c.from.lgCode, line: moving[0]!.address.line } },
    destination: { lgCode: c.f.municipality.lgCode, address: { lgCode: c.f.municipality.lgCode, line: "—" } },
    plannedMoveOutDate: TODAY,
    persons: people,
  };
  change(people, certificate);
  const id = randomUUID();
  await insertReservation(c.f.db, {
    id,
    lgCode: c.f.municipality.lgCode,
    applicationId: null,
    receiptNumber: null,
    certificateId: String(certificate.certificateId),
    originLgCode: c.from.lgCode,
    messageId: randomUUID(),
    people,
    plannedMoveOutDate: TODAY,
    plannedVisitDate: TODAY,
    certificate,
  });
  return id;
}

/** Moves the movers but the stranger into the hosted municipality (a 転入届 on `notifiedOn`). */
export async function moveMoversIn(
  c: Outside & { f: Pick<RegisterFixture, "db" | "keys" | "municipality" | "clerk"> },
  notifiedOn = TODAY,
): Promise<Record<MoverKey, string>> {
  const keys = ["active", "suspended", "unissued", "spare"] as const;
  const result = await moveIn(
    { db: c.f.db, keys: c.f.keys, actor: c.f.clerk, today: notifiedOn },
    {
      requestKey: requestKey("cards-movein"),
      lgCode: c.f.municipality.lgCode,
      movedInOn: notifiedOn,
      notifiedOn,
      certificate: {
        fromLgCode: c.from.lgCode,
        fromAddress: c.movers.active.person.address.line,
        plannedMoveOutDate: notifiedOn,
      },
      persons: keys.map((k) => {
        const p = c.movers[k].person;
        return {
          name: { ...p.name },
          birthDate: p.birthDate,
          sex: p.sex,
          nationality: p.nationality,
          honseki: p.honseki!,
          residentCode: p.residentCode,
          myNumber: p.myNumber,
          relationship: k === "active" ? "世帯主" : "同居人",
        };
      }),
      household: { kind: "new" },
      address: address(c.f.municipality, 1),
    },
  );
  return Object.fromEntries(keys.map((k, i) => [k, result.residentIds[i]!])) as Record<MoverKey, string>;
}

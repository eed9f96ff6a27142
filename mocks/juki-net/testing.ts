import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeMyNumber, makeResidentCode } from "../../backoffice/register/identifiers.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { World, WorldMunicipality, WorldPerson } from "../../lib/world.js";
import { freePort } from "../../tests/support/free-port.js";
import { serve } from "../kit.js";
import { type JukiNetOptions, type JukiNetSystem, jukiNet } from "./index.js";
import { Directory } from "./municipalities.js";
import { clientAssertion, type Envelope, newEnvelope, signMessage } from "./protocol.js";

/**
 * Helpers for the stand-in's tests (and for the workers' tests that talk to it): a served
 * instance on a free port with its own DATA_DIR, clients signing as a hosted municipality,
 * and people picked from the world by their properties.
 */

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "juki-net-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Served {
  system: JukiNetSystem;
  url: string;
  stop(): Promise<void>;
}

export async function serveJukiNet(world: World, opts: JukiNetOptions): Promise<Served> {
  const system = jukiNet(world, opts);
  const port = await freePort();
  const server: Server = await serve(system, port);
  return {
    system,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await system.close();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on them
type Json = any;

/** A hosted municipality's CS as a client of the service. */
export class CsClient {
  constructor(
    readonly base: string,
    readonly lgCode: string,
    readonly dataDir: string,
  ) {}

  private pair: ReturnType<typeof devKeyPair> | undefined;
  private assertion: { token: string; until: number } | undefined;

  get key() {
    this.pair ??= devKeyPair(this.dataDir, `cs-${this.lgCode}`, "ES256");
    return this.pair.privateJwk;
  }

  /** One assertion reused for four of its five minutes (the service does not check jti in v1). */
  async headers(): Promise<Record<string, string>> {
    if (!this.assertion || this.assertion.until < Date.now()) {
      this.assertion = { token: await clientAssertion(this.lgCode, this.key), until: Date.now() + 240_000 };
    }
    return { "content-type": "application/json", authorization: `Bearer ${this.assertion.token}` };
  }

  async post(p: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.base}${p}`, {
      method: "POST",
      headers: await this.headers(),
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  }

  async get(p: string): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.base}${p}`, { headers: await this.headers() });
    return { status: res.status, body: await res.json() };
  }

  /** Signs and sends a message from this municipality. */
  async send(fields: Omit<Envelope, "id" | "sentAt" | "from"> & { id?: string }) {
    const envelope: Envelope = {
      ...newEnvelope({ ...fields, from: this.lgCode } as never),
      ...(fields.id ? { id: fields.id } : {}),
    };
    const jws = await signMessage(envelope, this.key);
    const res = await fetch(`${this.base}/cs/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jws }),
    });
    return { status: res.status, body: await res.json(), envelope, jws };
  }
}

export const hosted = (world: World) => world.municipalities.filter((m) => m.hosted);
export const standIn = (world: World) => world.municipalities.filter((m) => !m.hosted);
export const peopleOf = (world: World, lgCode: string) => world.people.filter((p) => p.lgCode === lgCode);

/** A stand-in municipality with at least one resident, and one of its residents. */
export function standInResident(world: World): { municipality: WorldMunicipality; person: WorldPerson } {
  for (const m of standIn(world)) {
    const person = peopleOf(world, m.lgCode).find((p) => !p.supportMeasure) ?? peopleOf(world, m.lgCode)[0];
    if (person) return { municipality: m, person };
  }
  throw new Error("the world file has no resident of a municipality that is not hosted");
}

let serial = 0;
/**
 * A copy of `person` living in `lgCode` (fresh 住民票コード and 個人番号 with valid check digits),
 * for tests that need someone at a given level; the municipality is added to the world from
 * municipalities.csv when the world file does not list it.
 */
export function withClone(
  world: World,
  person: WorldPerson,
  lgCode: string,
): { world: World; clone: WorldPerson } {
  const directory = new Directory(world);
  const m = directory.get(lgCode);
  if (!m) throw new Error(`unknown municipality ${lgCode}`);
  serial++;
  const n = String(Date.now() % 1e6).padStart(6, "0") + String(serial).padStart(3, "0");
  const line = `${m.prefecture}${m.name}試験町1丁目${serial}番1号`;
  const clone: WorldPerson = {
    ...person,
    id: `${person.id}-clone-${serial}`,
    residentCode: makeResidentCode(`9${n}`),
    myNumber: makeMyNumber(`99${n}`),
    lgCode,
    householdId: `H-clone-${serial}`,
    relationship: "世帯主",
    address: {
      lgCode,
      prefecture: m.prefecture,
      city: m.name,
      town: "試験町",
      chome: 1,
      block: serial,
      lot: 1,
      line,
    },
  };
  const municipalities = world.municipalities.some((x) => x.lgCode === lgCode)
    ? world.municipalities
    : [...world.municipalities, { lgCode, prefecture: m.prefecture, name: m.name, hosted: false, towns: [] }];
  return {
    world: {
      ...world,
      municipalities,
      households: [...world.households, { id: clone.householdId, lgCode, address: clone.address }],
      people: [...world.people, clone],
    },
    clone,
  };
}

/** A municipality other than `lgCode`: in the same prefecture, or (sameprefecture false) in another. */
export function neighbour(world: World, lgCode: string, samePrefecture: boolean): string {
  const directory = new Directory(world);
  const pref = directory.get(lgCode)!.prefecture;
  const fits = (m: { lgCode: string; prefecture: string }) =>
    m.lgCode !== lgCode && (m.prefecture === pref) === samePrefecture;
  const inWorld = world.municipalities.find((m) => !m.hosted && fits(m));
  if (inWorld) return inWorld.lgCode;
  const any = directory.all().find((m) => !m.hosted && fits(m));
  if (!any) throw new Error("no suitable municipality");
  return any.lgCode;
}

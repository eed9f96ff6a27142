import type { Server } from "node:http";
import type { Worker } from "bullmq";
import type { Kysely } from "kysely";
import { inject } from "vitest";
import { seedRegister } from "../../backoffice/register/seed.js";
import { type RegisterFixture, registerFixture } from "../../backoffice/register/test-support.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PortalDatabase } from "../../db/types/portal.js";
import { createLogger } from "../../lib/logger.js";
import { devKeyPair } from "../../lib/secrets.js";
import { addressSystems } from "../../mocks/address-systems.js";
import { type Served, serveJukiNet, tempDataDir } from "../../mocks/juki-net/testing.js";
import { type MockSystem, serve } from "../../mocks/kit.js";
import { portalDb, redisPrefix } from "../../tests/support/database.js";
import { freePort } from "../../tests/support/free-port.js";
import { createQueueBackend, type QueueBackend } from "../backend.js";
import { type Relay, startRelay } from "../outbox.js";
import { type ProcessorDefinition, runProcessor } from "../processor.js";
import { JukiNetClient } from "./client.js";
import { type PipelineDeps, tokyoToday } from "./context.js";

/**
 * The pipeline's test bench: a migrated database seeded with the world's hosted registers, the
 * 住基ネット stand-in served on a free port (announcing inbound jobs on the same Redis prefix), the
 * outbox relays of both zones, and the processors under test.
 */
export interface Bench {
  f: RegisterFixture;
  db: Kysely<BackofficeDatabase>;
  portal: Kysely<PortalDatabase>;
  backend: QueueBackend;
  jukiNet: Served;
  /** The downstream address systems stand-in (団体内統合宛名 / 宛名管理), served on a free port. */
  addressSystemsUrl: string;
  addressSystems: MockSystem;
  dataDir: string;
  deps: PipelineDeps;
  /** Every call the back office made to the network (method and path), failures included. */
  calls: string[];
  start(processors: ProcessorDefinition[]): void;
  close(): Promise<void>;
}

export const silent = createLogger({ name: "test", level: "silent" });

export async function pipelineBench(opts: { cardIdpUrl?: string; today?: string } = {}): Promise<Bench> {
  const f = await registerFixture();
  await seedRegister(f.db, f.world, f.keys);
  const portal = portalDb(f.t);
  const prefix = redisPrefix();
  const redisUrl = inject("redisUrl");
  const backend = await createQueueBackend({ kind: "redis", url: redisUrl, prefix });
  const data = tempDataDir();
  const jukiNet = await serveJukiNet(f.world, {
    dataDir: data.dir,
    fsync: false,
    queue: backend,
    logger: silent,
  });
  const addressPort = await freePort();
  const address = addressSystems();
  const addressServer: Server = await serve(address, addressPort);
  const addressSystemsUrl = `http://127.0.0.1:${addressPort}`;
  const calls: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };
  const deps: PipelineDeps = {
    jukiNet: new JukiNetClient({
      baseUrl: jukiNet.url,
      dataDir: data.dir,
      timeoutMs: 2_000,
      fetch: countingFetch,
    }),
    myNumberKeys: f.keys,
    intakePrivateJwk: devKeyPair(data.dir, "intake-sealing", "ECDH-ES+A256KW").privateJwk,
    cardIdpUrl: opts.cardIdpUrl ?? "http://127.0.0.1:9",
    addressSystemsUrl,
    today: () => opts.today ?? tokyoToday(),
    now: () => new Date(),
  };
  const relays: Relay[] = [
    startRelay({ db: f.db, schema: "messaging", backend, logger: silent, idleMs: 50 }),
    startRelay({ db: portal, schema: "portal", backend, logger: silent, idleMs: 50 }),
  ];
  const workers: Worker[] = [];
  return {
    f,
    db: f.db,
    portal,
    backend,
    jukiNet,
    addressSystemsUrl,
    addressSystems: address,
    dataDir: data.dir,
    deps,
    calls,
    start(processors) {
      for (const p of processors) {
        workers.push(runProcessor(p, { backend, dbs: { backoffice: f.db, portal }, logger: silent }));
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(relays.map((r) => r.stop()));
      await jukiNet.stop();
      await new Promise<void>((r) => {
        addressServer.close(() => r());
        addressServer.closeAllConnections();
      });
      await backend.close();
      await portal.destroy();
      await f.close();
      data.remove();
    },
  };
}

/**
 * Polls until `check` returns a value other than undefined/false. The default wait is generous
 * because CI shares two cores between this suite and the fault runs: a passing check returns at
 * once, so only a failure waits the whole time.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

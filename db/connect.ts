import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";

// DATE columns stay ISO strings (YYYY-MM-DD): a resident's birth date has no time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// BIGINT (bigserial sequence numbers) fits in a JS number for any realistic volume.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface ConnectOptions {
  /** Pool size; a web process needs few, a worker a few more. */
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell the processes apart. */
  applicationName?: string;
}

export function createPool(url: string, opts: ConnectOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? "juki",
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its server (restart, failover) must not crash the process;
  // the pool replaces it and the next query reports the outage.
  pool.on("error", () => {});
  // A checked-out client (a transaction held open) losing its server emits 'error' on the
  // client itself, where pg-pool listens no more: without this the process dies (57P01) instead
  // of the query failing and the job being retried (found by the fault tests).
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export function createDb<DB>(url: string, opts: ConnectOptions = {}): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(url, opts) }) });
}

/** Replaces the credentials of a PostgreSQL URL, keeping host, port, database and options. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** host:port/database of a URL, for messages (never the credentials). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(malformed URL)";
  }
}

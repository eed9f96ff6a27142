import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { AppLoadContext } from "@remix-run/node";
import type { Kysely } from "kysely";
import { inject } from "vitest";
import { seedMunicipalities } from "../db/seed.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import { createLogger } from "../lib/logger.js";
import { keyedHash, sha256 } from "../lib/session.js";
import { loadWorld, type World } from "../lib/world.js";
import {
  backofficeDb,
  createTestDatabase,
  redisPrefix,
  type TestDatabase,
} from "../tests/support/database.js";
import { loadBackofficeEnv } from "./env.server.js";
import { seedRegister } from "./register/seed.js";
import { testKeys } from "./register/test-support.js";
import { type BackofficeServices, createBackofficeServices } from "./services.server.js";

/**
 * A back office for tests: its own database (migrated; municipalities seeded, and the world's
 * register when `seed: true`), DATA_DIR and clock, and a log the test can read. Loaders and
 * actions are called directly with a Request and `context`.
 */
export interface TestBackoffice {
  t: TestDatabase;
  db: Kysely<BackofficeDatabase>;
  world: World;
  services: BackofficeServices;
  context: AppLoadContext;
  logs: () => Record<string, unknown>[];
  dataDir: string;
  publicUrl: string;
  setNow(date: Date): void;
  close(): Promise<void>;
}

export async function createTestBackoffice(
  opts: {
    issuer?: string;
    publicUrl?: string;
    now?: Date;
    seed?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<TestBackoffice> {
  const t = await createTestDatabase();
  const db = backofficeDb(t);
  const dataDir = mkdtempSync(path.join(tmpdir(), "juki-backoffice-test-"));
  const publicUrl = opts.publicUrl ?? "http://127.0.0.1:3998";
  const env = loadBackofficeEnv({
    BACKOFFICE_DATABASE_URL: t.backofficeUrl,
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: redisPrefix(),
    DATA_DIR: dataDir,
    STAFF_IDP_ISSUER: opts.issuer ?? "http://127.0.0.1:9/staff",
    BACKOFFICE_PUBLIC_URL: publicUrl,
    NODE_ENV: "test",
    ...opts.env,
  });
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ name: "backoffice-test", level: "debug", destination });
  const world = loadWorld(env.WORLD_FILE || undefined);
  const keys = testKeys();
  await seedMunicipalities(db, world);
  if (opts.seed) await seedRegister(db, world, keys);
  let now = opts.now ?? new Date("2026-11-26T01:00:00Z");
  const services = createBackofficeServices({
    db,
    env,
    logger,
    world,
    keys,
    now: () => now,
    queue: { kind: "redis", url: inject("redisUrl"), prefix: env.QUEUE_PREFIX ?? redisPrefix() },
  });
  return {
    t,
    db,
    world,
    services,
    context: { cspNonce: "test", backoffice: services },
    logs: () => lines,
    dataDir,
    publicUrl,
    setNow(date) {
      now = date;
    },
    async close() {
      await db.destroy();
      await t.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A logged-in staff member (a world file staff id such as "taito-clerk") without going through
 * the IdP, for tests of what comes after login. Returns the cookie and the forms' CSRF token.
 */
export async function loginAs(
  office: TestBackoffice,
  staffId: string,
): Promise<{ cookie: string; csrf: string }> {
  const member = office.world.staff.find((s) => s.id === staffId);
  if (!member) throw new Error(`no staff member ${staffId} in the world file`);
  const id = randomBytes(32).toString("base64url");
  const csrfSecret = randomBytes(32).toString("base64url");
  const now = office.services.now();
  await office.db
    .insertInto("staff.session")
    .values({
      id_hash: sha256(id),
      staff_id: member.id,
      lg_code: member.lgCode,
      name: member.name,
      roles: member.roles,
      id_token: null,
      csrf_secret: csrfSecret,
      created_at: now,
      last_seen_at: now,
    })
    .execute();
  const secure = office.publicUrl.startsWith("https://");
  return {
    cookie: `${secure ? "__Host-" : ""}juki_staff_session=${id}`,
    csrf: keyedHash(office.services.sessionSecret, "csrf", csrfSecret),
  };
}

export function request(
  office: TestBackoffice,
  pathAndQuery: string,
  init: { method?: string; cookie?: string; form?: Record<string, string | string[]> } = {},
): Request {
  const headers = new Headers();
  if (init.cookie) headers.set("cookie", init.cookie);
  let body: URLSearchParams | undefined;
  if (init.form) {
    body = new URLSearchParams();
    for (const [k, v] of Object.entries(init.form)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    }
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  return new Request(`${office.publicUrl}${pathAndQuery}`, {
    method: init.method ?? (init.form ? "POST" : "GET"),
    headers,
    ...(body ? { body } : {}),
  });
}

/** Runs a loader or action; a thrown Response (redirect, 403, 404) is returned like a returned one. */
export async function run<T>(fn: () => Promise<T>): Promise<T | Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Response) return err;
    throw err;
  }
}

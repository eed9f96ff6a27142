import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { AppLoadContext } from "@remix-run/node";
import type { Kysely } from "kysely";
import { inject } from "vitest";
import type { PortalDatabase } from "../db/types/portal.js";
import { createLogger } from "../lib/logger.js";
import { createTestDatabase, portalDb, redisPrefix, type TestDatabase } from "../tests/support/database.js";
import type { CardClaims } from "./auth/claims.js";
import { loadPortalEnv } from "./env.server.js";
import { createPortalServices, type PortalServices, sha256 } from "./services.server.js";

/**
 * A portal for tests: its own database, DATA_DIR and clock, and a log that the test can read.
 * Loaders and actions are called directly with a Request and this load context.
 */
export interface TestPortal {
  t: TestDatabase;
  db: Kysely<PortalDatabase>;
  services: PortalServices;
  context: AppLoadContext;
  logs: () => Record<string, unknown>[];
  dataDir: string;
  publicUrl: string;
  setNow(date: Date): void;
  close(): Promise<void>;
}

export async function createTestPortal(
  opts: { issuer?: string; publicUrl?: string; now?: Date; env?: Record<string, string> } = {},
): Promise<TestPortal> {
  const t = await createTestDatabase();
  const db = portalDb(t);
  const dataDir = mkdtempSync(path.join(tmpdir(), "juki-portal-test-"));
  const publicUrl = opts.publicUrl ?? "http://127.0.0.1:3999";
  const env = loadPortalEnv({
    PORTAL_DATABASE_URL: t.portalUrl,
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: redisPrefix(),
    DATA_DIR: dataDir,
    CARD_IDP_ISSUER: opts.issuer ?? "http://127.0.0.1:9/card",
    PORTAL_PUBLIC_URL: publicUrl,
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
  const logger = createLogger({ name: "portal-test", level: "debug", destination });
  let now = opts.now ?? new Date("2026-11-26T01:00:00Z");
  const services = createPortalServices({ db, env, logger, now: () => now });
  return {
    t,
    db,
    services,
    context: { cspNonce: "test", portal: services, clientAddress: "192.0.2.10" },
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

/** A logged-in resident without going through the IdP (for tests of what comes after login). */
export async function loginAs(
  portal: TestPortal,
  sub: string,
  claims: CardClaims,
): Promise<{ cookie: string; csrf: string }> {
  const id = randomBytes(32).toString("base64url");
  const csrfSecret = randomBytes(32).toString("base64url");
  const now = portal.services.now();
  await portal.db
    .insertInto("portal.session")
    .values({
      id_hash: sha256(id),
      holder_sub: sub,
      claims: JSON.stringify(claims),
      id_token: null,
      csrf_secret: csrfSecret,
      created_at: now,
      last_seen_at: now,
    })
    .execute();
  const { keyedHash } = await import("./services.server.js");
  return { cookie: `juki_session=${id}`, csrf: keyedHash(portal.services.sessionSecret, "csrf", csrfSecret) };
}

export const TARO: CardClaims = {
  name: "墨田 太郎",
  name_kana: "スミダ タロウ",
  address: "東京都墨田区吾妻橋一丁目23番1号 吾妻橋レジデンス502",
  birthdate: "1985-04-12",
  gender: "male",
  sign_cert_status: "valid",
  sign_cert_expires_on: "2030-04-12",
};

export const HANAKO: CardClaims = {
  name: "墨田 花子",
  name_kana: "スミダ ハナコ",
  address: "東京都墨田区吾妻橋一丁目23番1号 吾妻橋レジデンス502",
  birthdate: "1987-09-03",
  gender: "female",
  sign_cert_status: "valid",
  sign_cert_expires_on: "2030-04-12",
};

export function request(
  portal: TestPortal,
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
  return new Request(`${portal.publicUrl}${pathAndQuery}`, {
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

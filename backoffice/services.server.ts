import type { AppLoadContext } from "@remix-run/node";
import type { JWK } from "jose";
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import type { QueueBackendConfig } from "../jobs/backend.js";
import type { Logger } from "../lib/logger.js";
import { publicHalf } from "../lib/oidc-rp.js";
import { devKeyPair, devSecret } from "../lib/secrets.js";
import { loadWorld, type World } from "../lib/world.js";
import { StaffIdpClient } from "./auth/staff-idp.server.js";
import type { BackofficeEnv } from "./env.server.js";
import { loadMyNumberKeys, type MyNumberKeys } from "./register/my-number.js";
import type { IsoDate } from "./register/time-rules.js";

/**
 * Everything a loader or action of the back office needs, created once by server.ts (or by a
 * test) and handed to every request through Remix's load context. Routes stay thin: they call
 * functions that take these services; SQL sits in *.queries.ts.
 */
export interface BackofficeServices {
  db: Kysely<BackofficeDatabase>;
  env: BackofficeEnv;
  logger: Logger;
  /** Keys of the 個人番号 cipher and blind index. */
  keys: MyNumberKeys;
  world: World;
  /** Staff realm of the IdP (login, logout, our client's JWKS). */
  staffIdp: StaffIdpClient;
  /** Keys CSRF tokens and the login cookie. */
  sessionSecret: string;
  /** The queue store (Bull Board reads it); undefined when the caller gives none (some tests). */
  queue?: QueueBackendConfig;
  now: () => Date;
  /** The business day in Japan: what every command receives as `today`. */
  today: () => IsoDate;
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    backoffice?: BackofficeServices;
  }
}

export function services(context: AppLoadContext): BackofficeServices {
  if (!context.backoffice) throw new Error("back office services are missing from the load context");
  return context.backoffice;
}

export interface CreateBackofficeServicesOptions {
  db: Kysely<BackofficeDatabase>;
  env: BackofficeEnv;
  logger: Logger;
  queue?: QueueBackendConfig;
  now?: () => Date;
  world?: World;
  keys?: MyNumberKeys;
}

/** The calendar date in Japan (YYYY-MM-DD) at `at`. */
export function tokyoDate(at: Date): IsoDate {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

export function createBackofficeServices(opts: CreateBackofficeServicesOptions): BackofficeServices {
  const { env } = opts;
  const clientKey = env.staffIdpClientKey
    ? { privateJwk: env.staffIdpClientKey as JWK, publicJwk: publicHalf(env.staffIdpClientKey as JWK) }
    : devKeyPair(env.DATA_DIR, "backoffice-oidc-client", "ES256");
  const now = opts.now ?? (() => new Date());
  return {
    db: opts.db,
    env,
    logger: opts.logger,
    keys: opts.keys ?? loadMyNumberKeys(env),
    world: opts.world ?? loadWorld(env.WORLD_FILE || undefined),
    staffIdp: new StaffIdpClient({
      issuer: env.STAFF_IDP_ISSUER,
      clientId: env.STAFF_IDP_CLIENT_ID,
      redirectUri: `${env.BACKOFFICE_PUBLIC_URL}/auth/callback`,
      privateJwk: { ...(clientKey.privateJwk as JWK), alg: "ES256" },
      publicJwk: { ...(clientKey.publicJwk as JWK), alg: "ES256", use: "sig" },
      now,
    }),
    sessionSecret: env.sessionSecret ?? devSecret(env.DATA_DIR, "backoffice-session-secret"),
    ...(opts.queue ? { queue: opts.queue } : {}),
    now,
    today: () => tokyoDate(now()),
  };
}

/** The municipality's name from the world file (e.g. 墨田区), for headers and certificates. */
export function municipalityName(world: World, lgCode: string): string {
  return world.municipalities.find((m) => m.lgCode === lgCode)?.name ?? lgCode;
}

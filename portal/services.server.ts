import type { AppLoadContext } from "@remix-run/node";
import type { JWK } from "jose";
import type { Kysely } from "kysely";
import type { PortalDatabase } from "../db/types/portal.js";
import type { Logger } from "../lib/logger.js";
import { publicHalf } from "../lib/oidc-rp.js";
import { devKeyPair, devSecret } from "../lib/secrets.js";
import { loadWorld } from "../lib/world.js";
import type { HostedMunicipality } from "./applications/schema.js";
import { CardIdpClient } from "./auth/card-idp.server.js";
import type { PortalEnv } from "./env.server.js";

/**
 * Everything a loader or action needs, created once by server.ts (or by a test) and handed to
 * every request through Remix's load context. Routes stay thin: they call functions that take
 * these services; SQL sits in *.queries.ts.
 */
export interface PortalServices {
  db: Kysely<PortalDatabase>;
  env: PortalEnv;
  logger: Logger;
  cardIdp: CardIdpClient;
  /** The back office's public key: intake payloads are sealed to it. */
  intakePublicKey: JWK;
  /** Hosted municipalities and their towns (from the world file): addresses there are checked. */
  hosted: HostedMunicipality[];
  sessionSecret: string;
  now: () => Date;
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    portal?: PortalServices;
    /** The client's address as the web server saw it (for rate limits only; never stored in clear). */
    clientAddress?: string;
  }
}

export function services(context: AppLoadContext): PortalServices {
  if (!context.portal) throw new Error("portal services are missing from the load context");
  return context.portal;
}

export interface CreateServicesOptions {
  db: Kysely<PortalDatabase>;
  env: PortalEnv;
  logger: Logger;
  now?: () => Date;
  fetch?: typeof fetch;
}

export function createPortalServices(opts: CreateServicesOptions): PortalServices {
  const { env } = opts;
  const clientKey = env.cardIdpClientKey
    ? { privateJwk: env.cardIdpClientKey as JWK, publicJwk: publicHalf(env.cardIdpClientKey as JWK) }
    : devKeyPair(env.DATA_DIR, "portal-oidc-client", "ES256");
  const intakePublicKey = (env.intakePublicKey ??
    devKeyPair(env.DATA_DIR, "intake-sealing", "ECDH-ES+A256KW").publicJwk) as JWK;
  const sessionSecret = env.sessionSecret ?? devSecret(env.DATA_DIR, "portal-session-secret");
  const world = loadWorld(env.WORLD_FILE || undefined);
  const now = opts.now ?? (() => new Date());
  return {
    db: opts.db,
    env,
    logger: opts.logger,
    cardIdp: new CardIdpClient({
      issuer: env.CARD_IDP_ISSUER,
      clientId: env.CARD_IDP_CLIENT_ID,
      redirectUri: `${env.PORTAL_PUBLIC_URL}/auth/callback`,
      privateJwk: { ...(clientKey.privateJwk as JWK), alg: "ES256" },
      publicJwk: { ...(clientKey.publicJwk as JWK), alg: "ES256", use: "sig" },
      logger: opts.logger,
      now,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    }),
    intakePublicKey,
    hosted: world.municipalities
      .filter((m) => m.hosted)
      .map((m) => ({
        lgCode: m.lgCode,
        towns: m.towns.map((t) => ({ name: t.name, chomeMax: t.chomeMax })),
      })),
    sessionSecret,
    now,
  };
}

/** Keyed hash and SHA-256, shared with the back office (lib/session.ts). */
export { keyedHash, sha256 } from "../lib/session.js";

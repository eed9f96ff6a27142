import type { Server } from "node:http";
import { z } from "zod";
import type { QueueBackendConfig } from "../jobs/backend.js";
import { dataDir, port, queueConfigFrom, queueEnv } from "../lib/config.js";
import { parseEnv, runMain } from "../lib/env.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { loadWorld, type World } from "../lib/world.js";
import { addressSystems } from "./address-systems.js";
import type { IdentityChange } from "./card-idp/index.js";
import { cardManagement } from "./card-management.js";
import { immigration } from "./immigration.js";
import { jukiNet } from "./juki-net/index.js";
import { type MockSystem, serve } from "./kit.js";

/**
 * The outside world in one process: each external system on its own port, from MOCKS_PORT
 * up, in a fixed order so that URLs are predictable. (The card IdP and 住基ネット join this
 * list with their issues.)
 */
/** What a system may need beyond the world: where its keys and state live, the queue, a logger. */
export interface MockContext {
  dataDir: string;
  queue?: QueueBackendConfig | undefined;
  logger?: Logger;
  /** Identity updates applied by the 住基ネット stand-in, for the other stand-ins (J-LIS's JPKI). */
  onIdentityUpdate?: (update: { residentCode: string; reason: string; addressLine: string }) => void;
}

export const mockSystems: {
  key: string;
  offset: number;
  create: (world: World, ctx: MockContext) => MockSystem;
}[] = [
  {
    key: "juki-net",
    offset: 1,
    create: (world, ctx) =>
      jukiNet(world, {
        dataDir: ctx.dataDir,
        queue: ctx.queue,
        ...(ctx.logger ? { logger: ctx.logger.child({ mock: "juki-net" }) } : {}),
        ...(ctx.onIdentityUpdate ? { onIdentityUpdate: ctx.onIdentityUpdate } : {}),
      }),
  },
  { key: "card-management", offset: 2, create: (world) => cardManagement(world) },
  { key: "immigration", offset: 3, create: () => immigration() },
  { key: "address-systems", offset: 4, create: () => addressSystems() },
];

/** The card IdP (docs/contracts/card-idp.md) is an OIDC server of its own, not a MockSystem. */
export const CARD_IDP_OFFSET = 0;

const envSchema = z.object({
  MOCKS_PORT: port(4000),
  DATA_DIR: dataDir,
  ...queueEnv,
  PORTAL_PORT: port(3000),
  BACKOFFICE_PORT: port(3100),
  CARD_IDP_PUBLIC_URL: z.string().url().optional(),
  PORTAL_URL: z.string().url().optional(),
  BACKOFFICE_URL: z.string().url().optional(),
});

export async function startMocks(
  world: World,
  basePort: number,
  ctx: MockContext = { dataDir: ".data" },
): Promise<{ urls: Record<string, string>; close(): Promise<void> }> {
  const servers: Server[] = [];
  const systems: MockSystem[] = [];
  const urls: Record<string, string> = {};
  try {
    for (const m of mockSystems) {
      const p = basePort + m.offset;
      const system = m.create(world, ctx);
      systems.push(system);
      servers.push(await serve(system, p));
      urls[m.key] = `http://127.0.0.1:${p}`;
    }
  } catch (err) {
    for (const s of servers) s.close();
    await Promise.all(systems.map((s) => s.close()));
    throw err;
  }
  return {
    urls,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              // Requests held open by a "timeout" fault would keep close() waiting forever.
              s.closeAllConnections();
            }),
        ),
      );
      await Promise.all(systems.map((s) => s.close()));
    },
  };
}

async function main(): Promise<void> {
  const env = parseEnv(envSchema);
  const world = loadWorld();
  const logger = createLogger({ name: "mocks" });
  const queue = env.REDIS_URL || env.QUEUE_DATABASE_URL ? queueConfigFrom(env) : undefined;
  if (!queue) logger.warn("no REDIS_URL or QUEUE_DATABASE_URL: 住基ネット mailboxes are pollable only");
  // The 住基ネット stand-in tells the JPKI CA of new addresses and names (it revokes 署名用電子証明書 then);
  // the card IdP starts after the others, so updates before that are not passed on.
  let cardIdpStarted: { identityChanged(c: IdentityChange): void } | undefined;
  const mocks = await startMocks(world, env.MOCKS_PORT, {
    dataDir: env.DATA_DIR,
    queue,
    logger,
    onIdentityUpdate: (u) => cardIdpStarted?.identityChanged(u),
  });
  const cardIdpPort = env.MOCKS_PORT + CARD_IDP_OFFSET;
  // Imported here, not at the top: scripts/start.ts imports this module for the port list, and
  // oidc-provider prints a runtime warning on Node 20 as soon as it is loaded.
  const { startCardIdp } = await import("./card-idp/index.js");
  const cardIdp = await startCardIdp({
    world,
    port: cardIdpPort,
    publicUrl: env.CARD_IDP_PUBLIC_URL ?? `http://127.0.0.1:${cardIdpPort}`,
    portalUrl: env.PORTAL_URL ?? `http://127.0.0.1:${env.PORTAL_PORT}`,
    backofficeUrl: env.BACKOFFICE_URL ?? `http://127.0.0.1:${env.BACKOFFICE_PORT}`,
    dataDir: env.DATA_DIR,
    logger: logger.child({ mock: "card-idp" }),
  }).catch(async (err) => {
    await mocks.close();
    throw err;
  });
  cardIdpStarted = cardIdp;
  logger.info({ urls: { ...mocks.urls, "card-idp": cardIdp.url } }, "mocks listening");
  onShutdown(logger, async () => {
    await cardIdp.close();
    await mocks.close();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runMain("mocks", main);
}

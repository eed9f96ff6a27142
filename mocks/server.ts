import type { Server } from "node:http";
import { z } from "zod";
import { port } from "../lib/config.js";
import { parseEnv, runMain } from "../lib/env.js";
import { createLogger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { loadWorld, type World } from "../lib/world.js";
import { addressSystems } from "./address-systems.js";
import { cardManagement } from "./card-management.js";
import { immigration } from "./immigration.js";
import { type MockSystem, serve } from "./kit.js";

/**
 * The outside world in one process: each external system on its own port, from MOCKS_PORT
 * up, in a fixed order so that URLs are predictable. (The card IdP and 住基ネット join this
 * list with their issues.)
 */
export const mockSystems: { key: string; offset: number; create: (world: World) => MockSystem }[] = [
  { key: "card-management", offset: 2, create: cardManagement },
  { key: "immigration", offset: 3, create: () => immigration() },
  { key: "address-systems", offset: 4, create: () => addressSystems() },
];

const envSchema = z.object({ MOCKS_PORT: port(4000) });

export async function startMocks(
  world: World,
  basePort: number,
): Promise<{ urls: Record<string, string>; close(): Promise<void> }> {
  const servers: Server[] = [];
  const urls: Record<string, string> = {};
  try {
    for (const m of mockSystems) {
      const p = basePort + m.offset;
      servers.push(await serve(m.create(world), p));
      urls[m.key] = `http://127.0.0.1:${p}`;
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return {
    urls,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

async function main(): Promise<void> {
  const env = parseEnv(envSchema);
  const world = loadWorld();
  const logger = createLogger({ name: "mocks" });
  const mocks = await startMocks(world, env.MOCKS_PORT);
  logger.info({ urls: mocks.urls }, "mocks listening");
  onShutdown(logger, () => mocks.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runMain("mocks", main);
}

import { fileURLToPath } from "node:url";
import { createDb } from "../db/connect.js";
import type { PortalDatabase } from "../db/types/portal.js";
import { queueConfigFrom } from "../lib/config.js";
import { runMain } from "../lib/env.js";
import { createLogger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { startWebProcess } from "../lib/web.js";
import { loadPortalEnv } from "./env.server.js";

/** The portal (internet zone): connects with the portal's role to schema `portal` only. */
async function main(): Promise<void> {
  const env = loadPortalEnv();
  const logger = createLogger({ name: "portal" });
  const web = await startWebProcess({
    component: "portal",
    appRoot: fileURLToPath(new URL(".", import.meta.url)),
    host: env.HOST,
    port: env.PORTAL_PORT,
    mode: env.NODE_ENV === "production" ? "production" : "development",
    db: createDb<PortalDatabase>(env.PORTAL_DATABASE_URL, { applicationName: "juki-portal" }),
    queue: queueConfigFrom(env),
    logger,
  });
  onShutdown(logger, () => web.close());
}

void runMain("portal", main);

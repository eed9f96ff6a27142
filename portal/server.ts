import { fileURLToPath } from "node:url";
import { createDb } from "../db/connect.js";
import type { PortalDatabase } from "../db/types/portal.js";
import { queueConfigFrom } from "../lib/config.js";
import { runMain } from "../lib/env.js";
import { createLogger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { startWebProcess } from "../lib/web.js";
import { loadPortalEnv } from "./env.server.js";
import { createPortalServices } from "./services.server.js";

/** The portal (internet zone): connects with the portal's role to schema `portal` only. */
async function main(): Promise<void> {
  const env = loadPortalEnv();
  const logger = createLogger({ name: "portal" });
  const db = createDb<PortalDatabase>(env.PORTAL_DATABASE_URL, { applicationName: "juki-portal" });
  // One set of services for the process, handed to every loader and action.
  const portal = createPortalServices({ db, env, logger });
  const web = await startWebProcess({
    component: "portal",
    appRoot: fileURLToPath(new URL(".", import.meta.url)),
    host: env.HOST,
    port: env.PORTAL_PORT,
    mode: env.NODE_ENV === "production" ? "production" : "development",
    db,
    queue: queueConfigFrom(env),
    logger,
    // The socket's address, for the login rate limit only (behind a proxy, every client shares it).
    getLoadContext: (req) => ({ portal, clientAddress: req.socket.remoteAddress ?? "unknown" }),
  });
  onShutdown(logger, () => web.close());
}

void runMain("portal", main);

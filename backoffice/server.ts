import { fileURLToPath } from "node:url";
import { createDb } from "../db/connect.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import { queueConfigFrom } from "../lib/config.js";
import { runMain } from "../lib/env.js";
import { createLogger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { startWebProcess } from "../lib/web.js";
import { mountQueueBoard } from "./admin/queues.server.js";
import { loadBackofficeEnv } from "./env.server.js";
import { createBackofficeServices } from "./services.server.js";

/** The back office (closed zone): connects with the back office role to the closed-zone schemas. */
async function main(): Promise<void> {
  const env = loadBackofficeEnv();
  const logger = createLogger({ name: "backoffice" });
  const db = createDb<BackofficeDatabase>(env.BACKOFFICE_DATABASE_URL, {
    applicationName: "juki-backoffice",
  });
  const queue = queueConfigFrom(env);
  // One set of services for the process, handed to every loader and action.
  const backoffice = createBackofficeServices({ db, env, logger, queue });
  const web = await startWebProcess({
    component: "backoffice",
    appRoot: fileURLToPath(new URL(".", import.meta.url)),
    host: env.HOST,
    port: env.BACKOFFICE_PORT,
    mode: env.NODE_ENV === "production" ? "production" : "development",
    db,
    queue,
    logger,
    // Bull Board (admins only) is plain express, mounted before Remix over the same queues.
    beforeRemix: (app, backend) => mountQueueBoard(app, backend, backoffice),
    getLoadContext: () => ({ backoffice }),
  });
  onShutdown(logger, () => web.close());
}

void runMain("backoffice", main);

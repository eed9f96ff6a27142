import type { Server } from "node:http";
import path from "node:path";
import express from "express";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { createQueueBackend, type QueueBackend, type QueueBackendConfig } from "../jobs/backend.js";
import { createHealthHandler } from "./health.js";
import type { Logger } from "./logger.js";
import { mountRemix, type RemixMount } from "./remix.js";

export interface WebProcessOptions {
  component: "portal" | "backoffice";
  /** Absolute path of portal/ or backoffice/. */
  appRoot: string;
  host: string;
  port: number;
  mode: "development" | "production";
  // biome-ignore lint/suspicious/noExplicitAny: any zone's database; only `select 1` is run here
  db: Kysely<any>;
  queue: QueueBackendConfig;
  logger: Logger;
  getLoadContext?: (req: express.Request, res: express.Response) => Record<string, unknown>;
  /** Express routes mounted after the health endpoints and before Remix (e.g. the back office's Bull Board). */
  beforeRemix?: (app: express.Express, backend: QueueBackend) => void | Promise<void>;
}

export interface WebProcess {
  url: string;
  close(): Promise<void>;
}

/**
 * One web process (portal or back office): health endpoints first (they must answer even
 * when the app cannot), then the Remix app.
 */
export async function startWebProcess(opts: WebProcessOptions): Promise<WebProcess> {
  const backend = await createQueueBackend(opts.queue);
  const app = express();
  app.disable("x-powered-by");
  const health = createHealthHandler(opts.component, {
    database: () => sql`select 1`.execute(opts.db),
    queue: () => backend.ping(),
  });
  app.use(async (req, res, next) => {
    if (!(await health(req, res))) next();
  });
  let remix: RemixMount;
  try {
    await opts.beforeRemix?.(app, backend);
    remix = await mountRemix(app, {
      appRoot: path.resolve(opts.appRoot),
      mode: opts.mode,
      ...(opts.getLoadContext ? { getLoadContext: opts.getLoadContext } : {}),
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "EADDRINUSE" ? `port ${opts.port} is already in use` : err.message)),
    );
  });
  const url = `http://${opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host}:${opts.port}`;
  opts.logger.info({ url, mode: opts.mode }, `${opts.component} listening`);
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await remix.close();
      await backend.close();
      await opts.db.destroy();
    },
  };
}

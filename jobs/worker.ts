import { createServer, type Server } from "node:http";
import { sql } from "kysely";
import { sweepExpired } from "../backoffice/pipeline/expiry.js";
import { linkPendingAudit } from "../backoffice/register/audit.js";
import { createDb } from "../db/connect.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import type { PortalDatabase } from "../db/types/portal.js";
import { queueConfigFrom } from "../lib/config.js";
import { runMain } from "../lib/env.js";
import { createHealthHandler } from "../lib/health.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { onShutdown } from "../lib/shutdown.js";
import { createQueueBackend } from "./backend.js";
import { loadWorkerEnv, type WorkerEnv } from "./env.js";
import { tokyoToday } from "./juki-net/context.js";
import { type Relay, startRelay } from "./outbox.js";
import { startPeriodic } from "./periodic.js";
import { type ProcessorDefinition, runProcessor, type ZoneDbs } from "./processor.js";
import { processors as allProcessors } from "./processors/index.js";
import { queues } from "./queues.js";

export interface Workers {
  close(): Promise<void>;
  checks: Record<string, () => Promise<unknown>>;
}

/**
 * The one entry point for background work: per zone served, the outbox relay and every
 * processor whose queue is consumed in that zone. Run one process or many; relays and
 * workers share the work safely.
 */
export async function startWorkers(
  env: WorkerEnv,
  logger: Logger,
  processors: ProcessorDefinition[] = allProcessors,
): Promise<Workers> {
  const backend = await createQueueBackend(queueConfigFrom(env));
  const dbs: ZoneDbs = {};
  const relays: Relay[] = [];
  if (env.WORKER_ZONES.includes("portal")) {
    dbs.portal = createDb<PortalDatabase>(env.PORTAL_DATABASE_URL!, { applicationName: "juki-jobs-portal" });
    relays.push(
      startRelay({ db: dbs.portal, schema: "portal", backend, logger: logger.child({ relay: "portal" }) }),
    );
  }
  if (env.WORKER_ZONES.includes("backoffice")) {
    dbs.backoffice = createDb<BackofficeDatabase>(env.BACKOFFICE_DATABASE_URL!, {
      applicationName: "juki-jobs-backoffice",
    });
    relays.push(
      startRelay({
        db: dbs.backoffice,
        schema: "messaging",
        backend,
        logger: logger.child({ relay: "messaging" }),
      }),
    );
  }
  // Clock-driven work of the closed zone: reservations past their 14/30-day limit expire
  // (backoffice/pipeline/expiry.ts); views of records written unlinked are linked into their
  // municipality's audit chain (backoffice/register/audit.ts), so the chain is never far behind.
  const backofficeDb = dbs.backoffice;
  const periodic = backofficeDb
    ? [
        startPeriodic({
          name: "reservation expiry sweep",
          intervalMs: env.EXPIRY_SWEEP_INTERVAL_MS,
          logger: logger.child({ periodic: "expiry" }),
          run: async () => {
            const r = await sweepExpired(backofficeDb, tokyoToday());
            return { reservations: r.reservations, originCases: r.originCases };
          },
        }),
        startPeriodic({
          name: "audit chain linking",
          intervalMs: env.AUDIT_LINK_INTERVAL_MS,
          logger: logger.child({ periodic: "audit-link" }),
          run: async () => ({ linked: await linkPendingAudit(backofficeDb) }),
        }),
      ]
    : [];
  const workers = processors
    .filter((p) => env.WORKER_ZONES.includes(queues[p.queue].consumerZone))
    .map((p) => runProcessor(p, { backend, dbs, logger }));
  logger.info(
    { zones: env.WORKER_ZONES, processors: workers.length, queue: backend.kind },
    "workers started",
  );

  const checks: Record<string, () => Promise<unknown>> = { queue: () => backend.ping() };
  if (dbs.portal) checks.portalDatabase = () => sql`select 1`.execute(dbs.portal!);
  if (dbs.backoffice) checks.backofficeDatabase = () => sql`select 1`.execute(dbs.backoffice!);

  return {
    checks,
    async close() {
      // Stop taking new jobs and let active ones finish (BullMQ's close waits for them);
      // then stop the relays, so nothing committed is left half-published.
      await Promise.all(periodic.map((p) => p.stop()));
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(relays.map((r) => r.stop()));
      await backend.close();
      await Promise.all([dbs.portal?.destroy(), dbs.backoffice?.destroy()]);
    },
  };
}

export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "EADDRINUSE" ? `port ${port} is already in use` : err.message)),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const logger = createLogger({ name: "jobs" });
  const workers = await startWorkers(env, logger);
  const health = createHealthHandler("jobs", workers.checks);
  const server = createServer(async (req, res) => {
    if (!(await health(req, res))) {
      res.writeHead(404).end();
    }
  });
  await listen(server, env.WORKERS_PORT);
  logger.info({ url: `http://127.0.0.1:${env.WORKERS_PORT}/healthz` }, "jobs health endpoint listening");
  onShutdown(logger, async () => {
    server.close();
    await workers.close();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runMain("jobs", main);
}

import { z } from "zod";
import {
  dataDir,
  port,
  postgresUrl,
  queueEnv,
  requireOneQueue,
  requireOneQueueMessage,
} from "../lib/config.js";
import { parseEnv } from "../lib/env.js";

const zones = z
  .string()
  .default("portal,backoffice")
  .transform((v) => v.split(",").map((s) => s.trim()))
  .pipe(z.array(z.enum(["portal", "backoffice"])).min(1));

export const workerEnvSchema = z
  .object({
    /** Which zones this worker process serves: the internet zone's relay and processors, the closed zone's, or both. */
    WORKER_ZONES: zones,
    PORTAL_DATABASE_URL: postgresUrl.optional(),
    BACKOFFICE_DATABASE_URL: postgresUrl.optional(),
    WORKERS_PORT: port(3200),
    DATA_DIR: dataDir,
    ...queueEnv,
  })
  .refine(requireOneQueue, requireOneQueueMessage)
  .refine((e) => !e.WORKER_ZONES.includes("portal") || e.PORTAL_DATABASE_URL, {
    message: "required when WORKER_ZONES includes portal",
    path: ["PORTAL_DATABASE_URL"],
  })
  .refine((e) => !e.WORKER_ZONES.includes("backoffice") || e.BACKOFFICE_DATABASE_URL, {
    message: "required when WORKER_ZONES includes backoffice",
    path: ["BACKOFFICE_DATABASE_URL"],
  });

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
export const loadWorkerEnv = (source: Record<string, string | undefined> = process.env) =>
  parseEnv(workerEnvSchema, source);

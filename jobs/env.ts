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
    // The pipeline (issue 5): 住基ネット stand-in, card IdP, the key that opens sealed applications.
    MOCKS_PORT: port(4000),
    JUKI_NET_URL: z.string().url("must be a URL like http://127.0.0.1:4001").optional(),
    CARD_IDP_URL: z.string().url("must be a URL like http://127.0.0.1:4000").optional(),
    ADDRESS_SYSTEMS_URL: z.string().url("must be a URL like http://127.0.0.1:4004").optional(),
    /** How often the worker looks for reservations past their deadline (期限切れ), milliseconds. */
    EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(600_000),
    AUDIT_LINK_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
    // Checked below at the object level, so that the error line never echoes the key.
    BACKOFFICE_INTAKE_PRIVATE_KEY: z.string().optional(),
    MY_NUMBER_ENCRYPTION_KEY: z.string().optional(),
    MY_NUMBER_INDEX_KEY: z.string().optional(),
  })
  .refine(requireOneQueue, requireOneQueueMessage)
  .refine(
    (e) => e.BACKOFFICE_INTAKE_PRIVATE_KEY === undefined || isPrivateJwk(e.BACKOFFICE_INTAKE_PRIVATE_KEY),
    {
      message:
        "BACKOFFICE_INTAKE_PRIVATE_KEY: must be the back office's private JWK (JSON with kty EC and d; value not shown)",
    },
  )
  .refine((e) => !e.WORKER_ZONES.includes("portal") || e.PORTAL_DATABASE_URL, {
    message: "required when WORKER_ZONES includes portal",
    path: ["PORTAL_DATABASE_URL"],
  })
  .refine((e) => !e.WORKER_ZONES.includes("backoffice") || e.BACKOFFICE_DATABASE_URL, {
    message: "required when WORKER_ZONES includes backoffice",
    path: ["BACKOFFICE_DATABASE_URL"],
  });

function isPrivateJwk(v: string): boolean {
  try {
    const jwk = JSON.parse(v) as { kty?: unknown; d?: unknown };
    return jwk.kty === "EC" && typeof jwk.d === "string";
  } catch {
    return false;
  }
}

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
export const loadWorkerEnv = (source: Record<string, string | undefined> = process.env) =>
  parseEnv(workerEnvSchema, source);

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

/** The back office's environment, validated once at start (one line per bad variable). */
export const backofficeEnvSchema = z
  .object({
    BACKOFFICE_DATABASE_URL: postgresUrl,
    BACKOFFICE_PORT: port(3100),
    HOST: z.string().default("127.0.0.1"),
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATA_DIR: dataDir,
    ...queueEnv,
  })
  .refine(requireOneQueue, requireOneQueueMessage);

export type BackofficeEnv = z.infer<typeof backofficeEnvSchema>;
export const loadBackofficeEnv = (source: Record<string, string | undefined> = process.env) =>
  parseEnv(backofficeEnvSchema, source);

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

/** The portal's environment, validated once at start (one line per bad variable). */
export const portalEnvSchema = z
  .object({
    PORTAL_DATABASE_URL: postgresUrl,
    PORTAL_PORT: port(3000),
    HOST: z.string().default("127.0.0.1"),
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATA_DIR: dataDir,
    ...queueEnv,
  })
  .refine(requireOneQueue, requireOneQueueMessage);

export type PortalEnv = z.infer<typeof portalEnvSchema>;
export const loadPortalEnv = (source: Record<string, string | undefined> = process.env) =>
  parseEnv(portalEnvSchema, source);

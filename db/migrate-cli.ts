import { z } from "zod";
import { postgresUrl } from "../lib/config.js";
import { parseEnv, runMain } from "../lib/env.js";
import { describeUrl } from "./connect.js";
import { migrateQueueBackend, migrateToLatest } from "./migrate.js";

/**
 * `npm run migrate`: for production, where `npm start` is not used. Creates or updates the
 * three login roles with the passwords given, then migrates; with QUEUE_BACKEND=postgres
 * also the BullMQ PostgreSQL backend's tables.
 */
const envSchema = z.object({
  DATABASE_URL: postgresUrl,
  DB_PORTAL_PASSWORD: z.string().min(16, "at least 16 characters"),
  DB_BACKOFFICE_PASSWORD: z.string().min(16, "at least 16 characters"),
  DB_QUEUE_PASSWORD: z.string().min(16, "at least 16 characters"),
  QUEUE_BACKEND: z.enum(["redis", "postgres"]).default("redis"),
});

async function main(): Promise<void> {
  const env = parseEnv(envSchema);
  const result = await migrateToLatest(env.DATABASE_URL, {
    portal: env.DB_PORTAL_PASSWORD,
    backoffice: env.DB_BACKOFFICE_PASSWORD,
    queue: env.DB_QUEUE_PASSWORD,
  });
  console.info(
    `${describeUrl(env.DATABASE_URL)}: ${result.applied.length ? `applied ${result.applied.join(", ")}` : "schema is up to date"}`,
  );
  if (env.QUEUE_BACKEND === "postgres") {
    const version = await migrateQueueBackend(env.DATABASE_URL, env.DB_QUEUE_PASSWORD);
    console.info(`BullMQ PostgreSQL backend schema at version ${version}`);
  }
}

void runMain("migrate", main);

import path from "node:path";
import { z } from "zod";
import type { QueueBackendConfig } from "../jobs/backend.js";

/** Pieces of configuration shared by several processes' env modules. */

export const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const postgresUrl = z
  .string()
  .url("must be a URL like postgres://user:password@host:5432/database")
  .refine((v) => /^postgres(ql)?:\/\//.test(v), "must start with postgres:// or postgresql://");

export const redisUrl = z
  .string()
  .url("must be a URL like redis://host:6379")
  .refine((v) => /^rediss?:\/\//.test(v), "must start with redis:// or rediss://");

export const dataDir = z
  .string()
  .default(".data")
  .transform((v) => path.resolve(v));

/** The queue store: Redis when REDIS_URL is set, else BullMQ's PostgreSQL backend at QUEUE_DATABASE_URL. */
export const queueEnv = {
  REDIS_URL: redisUrl.optional(),
  QUEUE_DATABASE_URL: postgresUrl.optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .optional(),
};

export function queueConfigFrom(env: {
  REDIS_URL?: string | undefined;
  QUEUE_DATABASE_URL?: string | undefined;
  QUEUE_PREFIX?: string | undefined;
}): QueueBackendConfig {
  if (env.REDIS_URL)
    return { kind: "redis", url: env.REDIS_URL, ...(env.QUEUE_PREFIX ? { prefix: env.QUEUE_PREFIX } : {}) };
  if (env.QUEUE_DATABASE_URL) return { kind: "postgres", url: env.QUEUE_DATABASE_URL };
  throw new Error("unreachable: checked by the env schema");
}

export const requireOneQueue = (env: {
  REDIS_URL?: string | undefined;
  QUEUE_DATABASE_URL?: string | undefined;
}) => Boolean(env.REDIS_URL || env.QUEUE_DATABASE_URL);
export const requireOneQueueMessage = {
  message: "set REDIS_URL (Redis) or QUEUE_DATABASE_URL (PostgreSQL queue backend)",
  path: ["REDIS_URL"],
};

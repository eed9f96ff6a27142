import { z } from "zod";
import {
  dataDir,
  port,
  postgresUrl,
  queueEnv,
  requireOneQueue,
  requireOneQueueMessage,
} from "../lib/config.js";
import { ConfigError, parseEnv } from "../lib/env.js";

const httpUrl = z
  .string()
  .url("must be a URL like https://host/path")
  .refine((v) => /^https?:\/\//.test(v), "must start with http:// or https://")
  .transform((v) => v.replace(/\/+$/, ""));

/** The back office's environment, validated once at start (one line per bad variable). */
export const backofficeEnvSchema = z
  .object({
    BACKOFFICE_DATABASE_URL: postgresUrl,
    BACKOFFICE_PORT: port(3100),
    HOST: z.string().default("127.0.0.1"),
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATA_DIR: dataDir,
    WORLD_FILE: z.string().optional(),
    /** Only used for the default of STAFF_IDP_ISSUER (the mocks' first port). */
    MOCKS_PORT: port(4000),
    /** The staff realm of the IdP (issuer URL); default the stand-in's `/staff` realm. */
    STAFF_IDP_ISSUER: httpUrl.optional(),
    STAFF_IDP_CLIENT_ID: z.string().min(1).default("juki-backoffice"),
    BACKOFFICE_PUBLIC_URL: httpUrl.optional(),
    // Secrets are checked below, by hand, so that a bad value is never echoed back.
    STAFF_IDP_CLIENT_KEY: z.string().optional(),
    BACKOFFICE_SESSION_SECRET: z.string().optional(),
    MY_NUMBER_ENCRYPTION_KEY: z.string().optional(),
    MY_NUMBER_INDEX_KEY: z.string().optional(),
    ...queueEnv,
  })
  .refine(requireOneQueue, requireOneQueueMessage)
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== "production") return;
    for (const name of ["BACKOFFICE_PUBLIC_URL", "STAFF_IDP_ISSUER"] as const) {
      if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required in production" });
      else if (!env[name].startsWith("https://"))
        ctx.addIssue({ code: "custom", path: [name], message: "must be https:// in production" });
    }
  })
  .transform((env) => ({
    ...env,
    STAFF_IDP_ISSUER: env.STAFF_IDP_ISSUER ?? `http://127.0.0.1:${env.MOCKS_PORT}/staff`,
    BACKOFFICE_PUBLIC_URL: env.BACKOFFICE_PUBLIC_URL ?? `http://127.0.0.1:${env.BACKOFFICE_PORT}`,
  }));

export type EcPrivateJwk = JsonWebKey & { kty: "EC"; crv: "P-256"; x: string; y: string; d: string };

export type BackofficeEnv = z.infer<typeof backofficeEnvSchema> & {
  /** Parsed STAFF_IDP_CLIENT_KEY (private JWK), or undefined: a dev key from DATA_DIR is used. */
  staffIdpClientKey: EcPrivateJwk | undefined;
  /** BACKOFFICE_SESSION_SECRET, or undefined: a dev secret from DATA_DIR is used. */
  sessionSecret: string | undefined;
};

export const loadBackofficeEnv = (
  source: Record<string, string | undefined> = process.env,
): BackofficeEnv => {
  const lines: string[] = [];
  let env: z.infer<typeof backofficeEnvSchema> | undefined;
  try {
    env = parseEnv(backofficeEnvSchema, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    lines.push(...err.lines);
  }
  let clientKey: EcPrivateJwk | undefined;
  const rawKey = source.STAFF_IDP_CLIENT_KEY;
  if (rawKey) {
    let jwk: Partial<EcPrivateJwk> | null = null;
    try {
      jwk = JSON.parse(rawKey) as Partial<EcPrivateJwk>;
    } catch {
      lines.push("STAFF_IDP_CLIENT_KEY: must be a JSON Web Key (JSON); the value given is not JSON");
    }
    if (jwk) {
      if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y || typeof jwk.d !== "string")
        lines.push(
          'STAFF_IDP_CLIENT_KEY: must be an EC P-256 private JSON Web Key ({"kty":"EC","crv":"P-256","d":...})',
        );
      else clientKey = jwk as EcPrivateJwk;
    }
  }
  const secret = source.BACKOFFICE_SESSION_SECRET;
  if (secret !== undefined && secret !== "" && secret.length < 32)
    lines.push("BACKOFFICE_SESSION_SECRET: must be at least 32 characters (e.g. openssl rand -base64 32)");
  if (source.NODE_ENV === "production") {
    for (const name of ["STAFF_IDP_CLIENT_KEY", "BACKOFFICE_SESSION_SECRET"] as const) {
      if (!source[name]) lines.push(`${name}: required in production`);
    }
  }
  if (lines.length > 0 || !env) throw new ConfigError(lines);
  return { ...env, staffIdpClientKey: clientKey, sessionSecret: secret || undefined };
};

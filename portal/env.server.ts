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

/** The portal's environment, validated once at start (one line per bad variable). */
export const portalEnvSchema = z
  .object({
    PORTAL_DATABASE_URL: postgresUrl,
    PORTAL_PORT: port(3000),
    HOST: z.string().default("127.0.0.1"),
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATA_DIR: dataDir,
    WORLD_FILE: z.string().optional(),
    /** Only used for the default of CARD_IDP_ISSUER (the mocks' first port). */
    MOCKS_PORT: port(4000),
    CARD_IDP_ISSUER: httpUrl.optional(),
    CARD_IDP_CLIENT_ID: z.string().min(1).default("juki-portal"),
    PORTAL_PUBLIC_URL: httpUrl.optional(),
    LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
    // Secrets are checked below, by hand, so that a bad value is never echoed back.
    CARD_IDP_CLIENT_KEY: z.string().optional(),
    SESSION_SECRET: z.string().optional(),
    BACKOFFICE_INTAKE_PUBLIC_KEY: z.string().optional(),
    ...queueEnv,
  })
  .refine(requireOneQueue, requireOneQueueMessage)
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== "production") return;
    for (const name of ["PORTAL_PUBLIC_URL", "CARD_IDP_ISSUER"] as const) {
      if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required in production" });
      else if (!env[name].startsWith("https://"))
        ctx.addIssue({ code: "custom", path: [name], message: "must be https:// in production" });
    }
  })
  .transform((env) => ({
    ...env,
    CARD_IDP_ISSUER: env.CARD_IDP_ISSUER ?? `http://127.0.0.1:${env.MOCKS_PORT}/card`,
    PORTAL_PUBLIC_URL: env.PORTAL_PUBLIC_URL ?? `http://127.0.0.1:${env.PORTAL_PORT}`,
  }));

export type EcJwk = JsonWebKey & {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid?: string;
  alg?: string;
};

export type PortalEnv = z.infer<typeof portalEnvSchema> & {
  /** Parsed CARD_IDP_CLIENT_KEY (private JWK), or undefined: a dev key from DATA_DIR is used. */
  cardIdpClientKey: (EcJwk & { d: string }) | undefined;
  /** Parsed BACKOFFICE_INTAKE_PUBLIC_KEY, or undefined: the dev key pair's public half is used. */
  intakePublicKey: EcJwk | undefined;
  /** SESSION_SECRET, or undefined: a dev secret from DATA_DIR is used. */
  sessionSecret: string | undefined;
};

function parseJwk(
  name: string,
  value: string | undefined,
  kind: "private" | "public",
  lines: string[],
): EcJwk | undefined {
  if (value === undefined || value === "") return undefined;
  let jwk: unknown;
  try {
    jwk = JSON.parse(value);
  } catch {
    lines.push(`${name}: must be a JSON Web Key (JSON); the value given is not JSON`);
    return undefined;
  }
  const k = jwk as Partial<EcJwk>;
  if (typeof jwk !== "object" || jwk === null || k.kty !== "EC" || k.crv !== "P-256" || !k.x || !k.y) {
    lines.push(`${name}: must be an EC P-256 JSON Web Key ({"kty":"EC","crv":"P-256",...})`);
    return undefined;
  }
  if (kind === "private" && typeof k.d !== "string") {
    lines.push(`${name}: must be a private key (with "d")`);
    return undefined;
  }
  if (kind === "public" && "d" in k) {
    // The portal must never hold the key that opens what it seals.
    lines.push(`${name}: must be the public key only (remove "d"; the private key stays in the back office)`);
    return undefined;
  }
  return k as EcJwk;
}

export const loadPortalEnv = (source: Record<string, string | undefined> = process.env): PortalEnv => {
  const lines: string[] = [];
  let env: z.infer<typeof portalEnvSchema> | undefined;
  try {
    env = parseEnv(portalEnvSchema, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    lines.push(...err.lines);
  }
  const production = source.NODE_ENV === "production";
  const clientKey = parseJwk("CARD_IDP_CLIENT_KEY", source.CARD_IDP_CLIENT_KEY, "private", lines);
  const intakeKey = parseJwk(
    "BACKOFFICE_INTAKE_PUBLIC_KEY",
    source.BACKOFFICE_INTAKE_PUBLIC_KEY,
    "public",
    lines,
  );
  const secret = source.SESSION_SECRET;
  if (secret !== undefined && secret.length < 32)
    lines.push("SESSION_SECRET: must be at least 32 characters (e.g. openssl rand -base64 32)");
  if (production) {
    for (const [name, value] of [
      ["CARD_IDP_CLIENT_KEY", source.CARD_IDP_CLIENT_KEY],
      ["SESSION_SECRET", secret],
      ["BACKOFFICE_INTAKE_PUBLIC_KEY", source.BACKOFFICE_INTAKE_PUBLIC_KEY],
    ] as const) {
      if (!value) lines.push(`${name}: required in production`);
    }
  }
  if (lines.length > 0 || !env) throw new ConfigError(lines);
  return {
    ...env,
    cardIdpClientKey: clientKey as (EcJwk & { d: string }) | undefined,
    intakePublicKey: intakeKey,
    sessionSecret: secret || undefined,
  };
};

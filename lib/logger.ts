import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Personal fields that must never reach a log line, whatever object they sit in.
 * Redaction is configuration (not discipline at each call site): any key with one of
 * these names, at the top level or nested up to two levels, is replaced by "[REDACTED]".
 */
export const PERSONAL_KEYS = [
  "name",
  "names",
  "familyName",
  "givenName",
  "family",
  "given",
  "familyKana",
  "givenKana",
  "kana",
  "address",
  "addressLine",
  "line",
  "birthDate",
  "birthdate",
  "myNumber",
  "individualNumber",
  "residentCode",
  "pin",
  "pins",
  "password",
  "token",
  "accessToken",
  "idToken",
  "refreshToken",
  "authorization",
  "cookie",
  "secret",
  "phone",
  "email",
  "honseki",
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of PERSONAL_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`);
  }
  paths.push('req.headers["authorization"]', 'req.headers["cookie"]', 'res.headers["set-cookie"]');
  return paths;
}

export interface LoggerOptions {
  /** The process or component name, e.g. "portal" or "jobs". */
  name: string;
  level?: string;
  /** For tests: where the lines go. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: redactPaths(), censor: "[REDACTED]" },
      // The component goes under `component`, not pino's `name`, because `name` is a redacted personal key.
      base: { component: opts.name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

export type { Logger };

import type { z } from "zod";

/** Thrown when the environment is invalid; its message has one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}

/**
 * Validates `source` (normally process.env) against a Zod object schema whose keys are
 * variable names. Every problem becomes one line naming the variable, so an operator
 * can fix all of them in one go.
 */
export function parseEnv<S extends z.ZodTypeAny>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  // One line per variable: its first problem is the one to fix.
  const seen = new Set<string>();
  const firstPerVariable = result.error.issues.filter((issue) => {
    const key = issue.path.join(".");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const lines = firstPerVariable.map((issue) => {
    const variable = issue.path.join(".") || "(environment)";
    const given = issue.path.length === 1 ? source[String(issue.path[0])] : undefined;
    return given === undefined
      ? `${variable}: ${issue.message}`
      : `${variable}: ${issue.message} (got ${JSON.stringify(truncate(given))})`;
  });
  throw new ConfigError(lines);
}

function truncate(value: string): string {
  // A URL may carry a password: never echo credentials back.
  const masked = value.replace(/\/\/([^:@/]+):([^@/]+)@/, "//$1:***@");
  return masked.length > 80 ? `${masked.slice(0, 77)}...` : masked;
}

/**
 * Runs a process's main function and turns a ConfigError (or any startup failure) into
 * a short message on stderr and a non-zero exit code, instead of a stack trace.
 */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(`${name}: 設定エラー / config error: ${line}`);
      process.exit(2);
    }
    console.error(`${name}: failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

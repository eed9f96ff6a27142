import { parseArgs } from "node:util";
import pg from "pg";
import { z } from "zod";
import { loadMyNumberKeys } from "../backoffice/register/my-number.js";
import { loadSyntheticResidents } from "../backoffice/register/synthetic.js";
import { isIsoDate } from "../backoffice/register/time-rules.js";
import { describeUrl } from "../db/connect.js";
import { ROLES } from "../db/roles.js";
import { dataDir, port, postgresUrl } from "../lib/config.js";
import { ConfigError, parseEnv, runMain } from "../lib/env.js";
import { devSecret } from "../lib/secrets.js";

/**
 * `npm run generate:residents -- --lg-code 131075 --count 100000 [--seed 42] [--today 2026-11-26] [--bulk]`
 *
 * Loads synthetic residents into a hosted municipality with COPY (backoffice/register/synthetic.ts)
 * and prints its progress and rows per second. Connects to BACKOFFICE_DATABASE_URL when set, else
 * to the embedded PostgreSQL that `npm start` runs (DATA_DIR, EMBEDDED_POSTGRES_PORT) as the back
 * office's role. `--bulk` (a municipality's first load; indexes and constraints rebuilt after the
 * COPY, tables locked meanwhile, decision 010) needs the tables' owner: OWNER_DATABASE_URL, else
 * the embedded server's superuser.
 */
const envSchema = z.object({
  DATA_DIR: dataDir,
  BACKOFFICE_DATABASE_URL: postgresUrl.optional(),
  OWNER_DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_POSTGRES_PORT: port(5488),
  MY_NUMBER_ENCRYPTION_KEY: z.string().optional(),
  MY_NUMBER_INDEX_KEY: z.string().optional(),
});

const say = (line: string) => console.info(`[generate] ${line}`);

function tokyoToday(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());
}

function options() {
  const { values } = parseArgs({
    options: {
      "lg-code": { type: "string" },
      count: { type: "string", default: "100000" },
      seed: { type: "string" },
      today: { type: "string" },
      "batch-size": { type: "string" },
      bulk: { type: "boolean", default: false },
    },
    strict: true,
  });
  const lines: string[] = [];
  const lgCode = values["lg-code"] ?? "";
  if (!/^\d{6}$/.test(lgCode)) lines.push("--lg-code: 6 桁の地方公共団体コード（例: 131075）");
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 50_000_000) lines.push("--count: 1 以上の整数");
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) lines.push("--seed: 整数");
  const today = values.today ?? tokyoToday();
  if (!isIsoDate(today)) lines.push("--today: YYYY-MM-DD");
  const batchSize = values["batch-size"] === undefined ? undefined : Number(values["batch-size"]);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 100))
    lines.push("--batch-size: 100 以上の整数");
  if (lines.length > 0) throw new ConfigError(lines);
  return { lgCode, count, seed, today, batchSize, bulk: values.bulk === true };
}

async function main(): Promise<void> {
  const args = options();
  const env = parseEnv(envSchema);
  const url = args.bulk
    ? (env.OWNER_DATABASE_URL ??
      `postgres://postgres:${encodeURIComponent(devSecret(env.DATA_DIR, "embedded-postgres-superuser"))}@127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/juki`)
    : (env.BACKOFFICE_DATABASE_URL ??
      `postgres://${ROLES.backoffice}:${encodeURIComponent(devSecret(env.DATA_DIR, "db-role-backoffice"))}@127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/juki`);
  const keys = loadMyNumberKeys(env);
  const client = new pg.Client({ connectionString: url, application_name: "juki-generate-residents" });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `cannot connect to ${describeUrl(url)} (${(err as { code?: string }).code ?? (err as Error).message}): start the system with \`npm start\` first, or set ${args.bulk ? "OWNER_DATABASE_URL" : "BACKOFFICE_DATABASE_URL"}`,
    );
  }
  try {
    say(
      `${args.count.toLocaleString("en")} residents into ${args.lgCode} at ${describeUrl(url)} (today ${args.today}${args.bulk ? ", bulk" : ""})`,
    );
    const result = await loadSyntheticResidents(client, {
      lgCode: args.lgCode,
      count: args.count,
      today: args.today,
      keys,
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
      ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}),
      bulk: args.bulk,
      onProgress: (loaded, total, ms) =>
        say(
          `${loaded.toLocaleString("en")} / ${total.toLocaleString("en")} residents (${Math.round((loaded / Math.max(ms, 1)) * 1000).toLocaleString("en")} rows/s)`,
        ),
    });
    say(
      `loaded ${result.residents.toLocaleString("en")} residents in ${result.households.toLocaleString("en")} households in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.rowsPerSecond.toLocaleString("en")} rows/s (住民票コード from ${result.firstResidentCode})`,
    );
  } finally {
    await client.end();
  }
}

void runMain("generate-residents", main);

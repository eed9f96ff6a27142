import { z } from "zod";
import { verifyAuditChain } from "../backoffice/register/audit.js";
import { createDb, describeUrl } from "../db/connect.js";
import { ROLES } from "../db/roles.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import { dataDir, port, postgresUrl } from "../lib/config.js";
import { parseEnv, runMain } from "../lib/env.js";
import { devSecret } from "../lib/secrets.js";

/**
 * `npm run audit:verify`: walks every municipality's hash chain in audit.log and names the first
 * broken row (exit 1), or prints each chain's head hash (exit 0) so that an operator can keep it
 * elsewhere and later notice a chain cut short. Rows not linked yet (views written unlinked, see
 * backoffice/register/audit.ts) are counted, not checked: they join a chain at the next link. Reads with the back office's role (SELECT is all
 * it needs): BACKOFFICE_DATABASE_URL, else DATABASE_URL, else the embedded database of a running
 * `npm start` under DATA_DIR.
 */
const envSchema = z.object({
  BACKOFFICE_DATABASE_URL: postgresUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: dataDir,
  EMBEDDED_POSTGRES_PORT: port(5488),
  AUDIT_VERIFY_BATCH: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
});

async function main(): Promise<void> {
  const env = parseEnv(envSchema);
  const url =
    env.BACKOFFICE_DATABASE_URL ??
    env.DATABASE_URL ??
    `postgres://${ROLES.backoffice}:${encodeURIComponent(devSecret(env.DATA_DIR, "db-role-backoffice"))}@127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/juki`;
  const db = createDb<BackofficeDatabase>(url, { max: 1, applicationName: "juki-audit-verify" });
  const started = Date.now();
  let lastReport = started;
  try {
    console.info(`監査ログの検証 / verifying audit.log at ${describeUrl(url)}`);
    const result = await verifyAuditChain(db, {
      batchSize: env.AUDIT_VERIFY_BATCH,
      onProgress: (rows, lastId) => {
        const now = Date.now();
        if (now - lastReport >= 1_000) {
          lastReport = now;
          const rate = Math.round(rows / ((now - started) / 1_000));
          console.info(
            `  ${rows.toLocaleString("en")} 行 / rows checked (id ≤ ${lastId}, ${rate.toLocaleString("en")}/s)`,
          );
        }
      },
      onHeads: (heads) => {
        for (const [lgCode, head] of [...heads].sort(([a], [b]) => a.localeCompare(b))) {
          console.info(`  chain ${lgCode}: head id ${head.id} sha256 ${head.hash}`);
        }
      },
      onUnlinked: (count, oldestAt) => {
        if (count > 0) {
          console.info(
            `  未連結 / unlinked: ${count.toLocaleString("en")} 行 / rows awaiting linking (views; oldest ${oldestAt}); not checked yet`,
          );
        }
      },
    });
    const seconds = ((Date.now() - started) / 1_000).toFixed(1);
    if (result.ok) {
      console.info(
        `正常 / OK: ${result.rows.toLocaleString("en")} 行 / rows, the chains are intact (${seconds} s)`,
      );
      return;
    }
    console.error(
      `改ざんを検出 / BROKEN at audit.log id ${result.firstBrokenId} (after ${result.rows.toLocaleString("en")} rows): ${result.reason}`,
    );
    process.exitCode = 1;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const hint =
      code === "ECONNREFUSED" && !env.BACKOFFICE_DATABASE_URL && !env.DATABASE_URL
        ? " (is `npm start` running? otherwise set BACKOFFICE_DATABASE_URL or DATABASE_URL)"
        : "";
    throw new Error(`${describeUrl(url)}: ${err instanceof Error ? err.message : String(err)}${hint}`);
  } finally {
    await db.destroy();
  }
}

void runMain("audit:verify", main);

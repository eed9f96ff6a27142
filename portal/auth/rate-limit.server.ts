import { sql } from "kysely";
import { keyedHash, type PortalServices } from "../services.server.js";

export const LOGIN_WINDOW_SECONDS = 10 * 60;

/**
 * Fixed-window counter in PostgreSQL, so that every copy of the portal shares it. The bucket is a
 * keyed hash of the client address: the table never holds an address. Returns false once the
 * limit is reached within the window.
 */
export async function allowAttempt(
  services: PortalServices,
  scope: string,
  clientAddress: string,
  limit: number,
  windowSeconds: number,
): Promise<boolean> {
  const bucket = `${scope}:${keyedHash(services.sessionSecret, "rate-limit", clientAddress)}`;
  const now = services.now();
  const windowStartCutoff = new Date(now.getTime() - windowSeconds * 1000);
  const row = await sql<{ hits: number }>`
    insert into portal.rate_limit (bucket, window_start, hits) values (${bucket}, ${now}, 1)
    on conflict (bucket) do update set
      hits = case when portal.rate_limit.window_start < ${windowStartCutoff} then 1 else portal.rate_limit.hits + 1 end,
      window_start = case when portal.rate_limit.window_start < ${windowStartCutoff} then ${now} else portal.rate_limit.window_start end
    returning hits`.execute(services.db);
  return Number(row.rows[0]?.hits ?? 0) <= limit;
}

/** One login attempt (start or callback) from this address. */
export function allowLoginAttempt(services: PortalServices, clientAddress: string): Promise<boolean> {
  return allowAttempt(services, "login", clientAddress, services.env.LOGIN_RATE_LIMIT, LOGIN_WINDOW_SECONDS);
}

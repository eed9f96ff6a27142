import type { Kysely } from "kysely";
import { sweepExpired } from "../backoffice/pipeline/expiry.js";
import type { BackofficeDatabase } from "../db/types/backoffice.js";
import type { Logger } from "../lib/logger.js";

/**
 * The worker's periodic reservation-expiry sweep (backoffice/pipeline/expiry.ts): at start, then
 * every `intervalMs`. Several worker processes may sweep at once: rows are locked with SKIP LOCKED
 * and each expiry is a status change that happens once.
 */
export function startExpirySweep(opts: {
  db: Kysely<BackofficeDatabase>;
  today: () => string;
  intervalMs: number;
  logger: Logger;
}): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = sweepExpired(opts.db, opts.today())
      .then((r) => {
        if (r.reservations || r.originCases) opts.logger.info(r, "reservations expired");
      })
      .catch((err: Error) => opts.logger.warn({ err: err.message }, "expiry sweep failed; next time"));
  };
  run();
  const timer = setInterval(() => {
    if (!stopped) run();
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

import type { Logger } from "../lib/logger.js";

/**
 * Work the worker does on a clock rather than from a queue (the reservation-expiry sweep, the
 * linking of audit rows into their hash chains): run at start, then every `intervalMs`, never two
 * runs of one task at once. Several worker processes may run the same task: each task is safe to
 * run concurrently with itself (row locks, advisory locks). A failed run is logged and retried
 * at the next tick; `stop` waits for the run in progress.
 */
export function startPeriodic(opts: {
  name: string;
  intervalMs: number;
  logger: Logger;
  run: () => Promise<Record<string, number> | undefined>;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    running = opts
      .run()
      .then((counts) => {
        if (counts && Object.values(counts).some((n) => n > 0))
          opts.logger.info(counts, `${opts.name}: done`);
      })
      .catch((err: Error) => opts.logger.warn({ err: err.message }, `${opts.name} failed; next time`))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

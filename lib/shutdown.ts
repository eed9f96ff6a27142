import type { Logger } from "./logger.js";

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits. A second signal, or a stop that takes
 * longer than `graceMs`, exits at once so an operator is never left waiting.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, graceMs = 15_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ graceMs }, "shutdown took too long: exiting");
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, "error while shutting down");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  exitWhenOrphaned(() => handler("SIGTERM"));
}

/**
 * Under `npm start` every part is a child of the supervisor. If the supervisor dies without
 * a chance to stop its children (SIGKILL), each child notices its parent is gone and stops
 * itself, so no process is left behind.
 */
export function exitWhenOrphaned(stop: () => void, intervalMs = 1_000): void {
  if (!process.env.JUKI_SUPERVISED) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, intervalMs);
  timer.unref();
}

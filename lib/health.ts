import type { IncomingMessage, ServerResponse } from "node:http";

export type Check = () => Promise<unknown>;

/**
 * /healthz: the process is alive (no dependency is touched).
 * /readyz: every dependency answers within the timeout; 503 with the failing ones otherwise.
 * Returns true when it answered the request.
 */
export function createHealthHandler(component: string, checks: Record<string, Check>, timeoutMs = 2_000) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = req.url?.split("?")[0];
    if (url === "/healthz") {
      send(res, 200, { status: "ok", component });
      return true;
    }
    if (url === "/readyz") {
      const results: Record<string, string> = {};
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), timeoutMs);
            results[name] = "ok";
          } catch (err) {
            results[name] = `error: ${err instanceof Error ? err.message : String(err)}`;
          }
        }),
      );
      const ready = Object.values(results).every((r) => r === "ok");
      send(res, ready ? 200 : 503, { status: ready ? "ready" : "unready", component, checks: results });
      return true;
    }
    return false;
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

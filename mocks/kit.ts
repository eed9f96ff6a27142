import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { HttpResponse, http } from "msw";

/**
 * A tiny framework for the outside world's stand-ins. Each external system is one file
 * declaring its routes as plain functions; the same routes are served over HTTP by the
 * mocks process and turned into msw handlers for unit tests. Every system records what it
 * was sent (for tests to read back) and can be told to fail, time out or slow down.
 */

export interface MockRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export interface MockResponse {
  status: number;
  body?: unknown;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Express-like pattern: /cards/:cardNumber */
  path: string;
  /** Short name used for fault injection and the recording, e.g. "card-operation". */
  endpoint: string;
  handle(req: MockRequest): MockResponse | Promise<MockResponse>;
}

export interface Recorded {
  at: string;
  endpoint: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
}

export type FaultMode = "fail" | "timeout" | "slow";
export interface Fault {
  mode: FaultMode;
  /** Share of calls affected, 0..1 (default 1). */
  rate?: number;
  /** For "slow": extra latency in ms (default 500). */
  delayMs?: number;
}

export class MockSystem {
  readonly recorded: Recorded[] = [];
  /** The recording keeps the latest calls only, so a long benchmark does not grow without end. */
  maxRecorded = 10_000;
  private readonly faults = new Map<string, Fault>();
  private readonly closers: (() => void | Promise<void>)[] = [];

  constructor(
    readonly name: string,
    readonly routes: Route[],
  ) {}

  /** Registers what `close()` must stop (timers, queue connections, files), last first. */
  onClose(fn: () => void | Promise<void>): void {
    this.closers.push(fn);
  }

  /** Stops what the system started; the HTTP server (if any) is closed by its owner. */
  async close(): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) await fn();
  }

  setFault(endpoint: string, fault: Fault | null): void {
    if (fault) this.faults.set(endpoint, fault);
    else this.faults.delete(endpoint);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Routes one request: control endpoints first, then faults, then the system's route. */
  async dispatch(req: Omit<MockRequest, "params">): Promise<MockResponse & { hang?: boolean }> {
    if (req.path === "/healthz" || req.path === "/readyz")
      return { status: 200, body: { status: "ok", component: this.name } };
    if (req.path === "/_control/recorded" && req.method === "GET") {
      const endpoint = req.query.get("endpoint");
      return {
        status: 200,
        body: endpoint ? this.recorded.filter((r) => r.endpoint === endpoint) : this.recorded,
      };
    }
    if (req.path === "/_control/faults" && req.method === "POST") {
      const { endpoint, fault } = (req.body ?? {}) as { endpoint?: string; fault?: Fault | null };
      if (!endpoint) return { status: 400, body: { error: "endpoint is required" } };
      this.setFault(endpoint, fault ?? null);
      return { status: 204 };
    }
    if (req.path === "/_control/reset" && req.method === "POST") {
      this.recorded.length = 0;
      this.clearFaults();
      return { status: 204 };
    }
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const params = match(route.path, req.path);
      if (!params) continue;
      const fault = this.faults.get(route.endpoint);
      if (fault && Math.random() < (fault.rate ?? 1)) {
        if (fault.mode === "fail") return { status: 503, body: { error: "injected failure" } };
        if (fault.mode === "timeout") return { status: 504, hang: true };
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 500));
      }
      let response: MockResponse;
      try {
        response = await route.handle({ ...req, params });
      } catch (err) {
        response = { status: 500, body: { error: err instanceof Error ? err.message : String(err) } };
      }
      this.recorded.push({
        at: new Date().toISOString(),
        endpoint: route.endpoint,
        method: req.method,
        path: req.path,
        body: req.body,
        status: response.status,
      });
      if (this.recorded.length > this.maxRecorded * 1.1) {
        this.recorded.splice(0, this.recorded.length - this.maxRecorded);
      }
      return response;
    }
    return { status: 404, body: { error: `no route ${req.method} ${req.path}` } };
  }
}

function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(s[i]!);
    else if (part !== s[i]) return null;
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Serves a system over HTTP on 127.0.0.1. */
export function serve(system: MockSystem, port: number): Promise<Server> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      res.writeHead(413).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const out = await system.dispatch({
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
    });
    if (out.hang) return; // the caller's timeout is what is being tested; the socket stays open
    if (out.body === undefined) {
      res.writeHead(out.status).end();
      return;
    }
    res.writeHead(out.status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(out.body));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(err.code === "EADDRINUSE" ? `${system.name}: port ${port} is already in use` : err.message),
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The same system as msw handlers under `baseUrl`, for unit tests of code that calls it. */
export function mswHandlers(system: MockSystem, baseUrl: string) {
  const base = baseUrl.replace(/\/$/, "");
  return [
    http.all(`${base}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const text = await request.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const out = await system.dispatch({
        method: request.method,
        path: url.pathname.slice(new URL(base).pathname.replace(/\/$/, "").length) || "/",
        query: url.searchParams,
        headers,
        body,
      });
      if (out.hang) return new Promise<never>(() => {});
      return out.body === undefined
        ? new HttpResponse(null, { status: out.status })
        : HttpResponse.json(out.body as never, { status: out.status });
    }),
  ];
}

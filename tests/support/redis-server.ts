import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";

export const REDIS_INSTALL_HINT =
  "redis-server was not found: install it with `apt-get install -y redis-server` (Debian/Ubuntu), or set TEST_REDIS_URL to a running Redis";

export interface SpawnedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on a free port (no persistence, noeviction as BullMQ needs). */
export async function spawnRedis(port?: number, extraArgs: string[] = []): Promise<SpawnedRedis> {
  if (spawnSync("redis-server", ["--version"]).error) throw new Error(REDIS_INSTALL_HINT);
  const p = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(p),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--maxmemory-policy",
      "noeviction",
      ...extraArgs,
    ],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch {
      client.disconnect();
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`redis-server did not start on port ${p}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port: p,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

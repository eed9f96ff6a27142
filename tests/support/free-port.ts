import { createServer } from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports that were all free a moment ago (for a process that takes
 * a base port and the few after it, like the mocks' MOCKS_PORT). Tries bases from the kernel's
 * ephemeral choice, so parallel test files rarely pick the same range.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count > 65_535) continue;
    let all = true;
    for (let p = base + 1; p < base + count && all; p++) all = await portIsFree(p);
    if (all) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}

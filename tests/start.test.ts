import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "./support/free-port.js";

/**
 * `npm start` as a user runs it: the embedded default on a machine where nothing is
 * configured, then a second start on the same data, then Ctrl-C. (Ports and DATA_DIR are
 * the test's own so it never touches a developer's running system.)
 */
const root = path.resolve(import.meta.dirname, "..");
const marker = `juki-start-test-${process.pid}`;

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: root,
    // A clean environment: only what a user's shell would have, plus the test's settings.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      JUKI_TEST_MARKER: marker,
      ...env,
    } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForOutput(output: () => string, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Processes whose environment carries this test's marker (every part inherits it). */
function markedProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").includes(`JUKI_TEST_MARKER=${marker}`))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe("configuration errors", () => {
  const run = async (env: Record<string, string>) => {
    const s = start(env);
    const code = await s.exited;
    return {
      code,
      lines: s
        .output()
        .split("\n")
        .filter((l) => l && !l.startsWith("[start]")),
    };
  };

  it("a missing world file: one line naming WORLD_FILE, non-zero exit", async () => {
    const r = await run({ WORLD_FILE: "/nonexistent/world.json" });
    expect(r.code).not.toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/WORLD_FILE: cannot read/);
  });

  it("a malformed REDIS_URL: one line naming REDIS_URL, non-zero exit", async () => {
    const r = await run({ REDIS_URL: "localhost:6379" });
    expect(r.code).not.toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/REDIS_URL: must (be a URL|start with redis:\/\/)/);
  });

  it("an unreachable DATABASE_URL: one line naming DATABASE_URL, without its password", async () => {
    const r = await run({ DATABASE_URL: `postgres://someone:s3cret@127.0.0.1:${await freePort()}/juki` });
    expect(r.code).not.toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/DATABASE_URL: cannot connect to 127\.0\.0\.1:\d+\/juki \(ECONNREFUSED\)/);
    expect(r.lines[0]).not.toContain("s3cret");
  });

  it("an unreachable Redis: one line naming REDIS_URL", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "juki-start-"));
    try {
      const r = await run({
        DATA_DIR: dataDir,
        // Never reached: Redis is checked before anything is written to PostgreSQL.
        DATABASE_URL: inject("adminDatabaseUrl"),
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      });
      expect(r.code).not.toBe(0);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(/REDIS_URL: cannot connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("npm start on embedded defaults", () => {
  const dataDir = mkdtempSync(path.join(root, ".test-data-start-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("starts everything, answers /readyz everywhere, stops cleanly, and restarts on the same data", async () => {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ports = {
      PORTAL_PORT: base,
      BACKOFFICE_PORT: base + 1,
      WORKERS_PORT: base + 2,
      MOCKS_PORT: base + 10,
      EMBEDDED_POSTGRES_PORT: base + 20,
    };
    const env = {
      DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };

    for (const round of ["first", "second"] as const) {
      const s = start(env);
      const t0 = Date.now();
      await waitForOutput(s.output, /\[start\] ready in/, 90_000);
      const seconds = (Date.now() - t0) / 1000;
      expect(seconds).toBeLessThan(round === "first" ? 90 : 30);
      expect(s.output()).toContain(`http://127.0.0.1:${ports.PORTAL_PORT}/`);
      if (round === "first") {
        expect(s.output()).toMatch(/migrations applied: /);
        expect(s.output()).toMatch(/seeded \d+ municipalities/);
      } else {
        expect(s.output()).toContain("schema is up to date");
        expect(s.output()).toContain("seed: nothing new");
      }
      for (const p of [ports.PORTAL_PORT, ports.BACKOFFICE_PORT, ports.WORKERS_PORT, ports.MOCKS_PORT + 2]) {
        const res = await fetch(`http://127.0.0.1:${p}/readyz`);
        expect(res.status, `port ${p}`).toBe(200);
      }
      const home = await (await fetch(`http://127.0.0.1:${ports.PORTAL_PORT}/`)).text();
      expect(home).toContain("引越しワンストップサービス");

      s.child.kill("SIGINT");
      expect(await s.exited).toBe(0);
      // Nothing is left: no child process, and the embedded PostgreSQL has shut down.
      await new Promise((r) => setTimeout(r, 500));
      expect(markedProcesses()).toEqual([]);
      expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
    }
  }, 240_000);
});

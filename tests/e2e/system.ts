import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort, freePortRange } from "../support/free-port.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

const root = path.resolve(import.meta.dirname, "../..");

export interface RunningSystem {
  portal: string;
  backoffice: string;
  cardIdp: string;
  /** The system's DATA_DIR (dev keys, role passwords), removed by stop(). */
  dataDir: string;
  /** The embedded PostgreSQL's port (database juki). */
  postgresPort: number;
  mocksPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** The whole system as `npm start` runs it, on free ports and a temporary DATA_DIR. */
export async function startSystem(extraEnv: Record<string, string> = {}): Promise<RunningSystem> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "juki-e2e-"));
  const ports = {
    PORTAL_PORT: await freePort(),
    BACKOFFICE_PORT: await freePort(),
    WORKERS_PORT: await freePort(),
    EMBEDDED_POSTGRES_PORT: await freePort(),
  };
  // The mocks take MOCKS_PORT and the four ports after it (mocks/server.ts): all five free.
  const mocksPort = await freePortRange(5);
  let out = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      DATA_DIR: dataDir,
      MOCKS_PORT: String(mocksPort),
      PORTAL_URL: `http://127.0.0.1:${ports.PORTAL_PORT}`,
      LOGIN_RATE_LIMIT: "1000",
      ...extraEnv,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
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
  const deadline = Date.now() + 240_000;
  while (!/\[start\] ready in/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGINT");
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`the system did not start:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    portal: `http://127.0.0.1:${ports.PORTAL_PORT}`,
    backoffice: `http://127.0.0.1:${ports.BACKOFFICE_PORT}`,
    cardIdp: `http://127.0.0.1:${mocksPort}`,
    dataDir,
    postgresPort: ports.EMBEDDED_POSTGRES_PORT,
    mocksPort,
    output: () => out,
    async stop() {
      child.kill("SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export async function newContext(
  browser: Browser,
  opts: { javaScript?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled: opts.javaScript ?? true, locale: "ja-JP" });
  context.setDefaultTimeout(30_000);
  return context;
}

const axeSource = readAxe();
function readAxe(): string {
  const require = createRequire(import.meta.url);
  return (require("axe-core") as { source: string }).source;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules).
 * Injected through the DevTools protocol, which the page's CSP does not govern.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  const run = async () => {
    // The document fully loaded first: a page still settling (a redirect, Remix's hydration)
    // would replace the context axe runs in.
    await page.waitForLoadState("load");
    await page.evaluate(axeSource);
    return (await page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is a global once injected
      const axe = (globalThis as any).axe;
      const result = await axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      });
      return result.violations;
    })) as AxeViolation[];
  };
  let violations: AxeViolation[];
  try {
    violations = await run();
  } catch (err) {
    // A navigation between the two evaluations: check the page it arrived at.
    if (!/Execution context was destroyed/.test(String(err))) throw err;
    violations = await run();
  }
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
}

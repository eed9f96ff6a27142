import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import {
  launchChromium,
  newContext,
  type RunningSystem,
  seriousAccessibilityViolations,
  startSystem,
} from "./system.js";

// The vitest side of the browser suites. system.ts stays free of vitest: `npm run bench portal`
// loads it under plain Node (tests/bench/loads.test.ts checks).

/** What a browser suite gets from useBrowserSystem: the running system and fresh browser contexts. */
export interface BrowserSystem {
  /** The system as `npm start` runs it (available once the suite's beforeAll ran). */
  readonly system: RunningSystem;
  /** A fresh browser context (its own cookies), closed after the suite. */
  context(opts?: { javaScript?: boolean }): Promise<BrowserContext>;
  /** A page in a fresh browser context. */
  page(opts?: { javaScript?: boolean }): Promise<Page>;
}

/**
 * For a describe block of browser journeys: starts the whole system and Chromium before the
 * suite, stops both after it, and on a failed test keeps what the processes said (levels warn and
 * above; no personal data is logged) in $TMPDIR/juki-<name>-system.log.
 */
export function useBrowserSystem(name: string): BrowserSystem {
  let system: RunningSystem | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
  }, 300_000);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      if (!system) return;
      const file = path.join(tmpdir(), `juki-${name}-system.log`);
      writeFileSync(file, system.output());
      console.error(`the system's output: ${file}`);
    });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
  });
  const started = () => {
    if (!system || !browser) throw new Error("the system is not started: use it inside the suite's tests");
    return { system, browser };
  };
  const context = async (opts: { javaScript?: boolean } = {}) => {
    const c = await newContext(started().browser, opts);
    contexts.push(c);
    return c;
  };
  return {
    get system() {
      return started().system;
    },
    context,
    async page(opts = {}) {
      return (await context(opts)).newPage();
    },
  };
}

/** axe-core finds no serious or critical violation on the page as it is now. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await seriousAccessibilityViolations(page), where).toEqual([]);
}

/**
 * The page's first h1 (a string must match whole), once the navigation has rendered: under
 * `npm start` the first request of a page compiles it (Vite), so allow for a busy machine.
 */
export async function expectHeading(page: Page, text: string | RegExp, timeoutMs = 60_000): Promise<void> {
  await expect
    .poll(() => page.locator("h1").first().textContent(), { timeout: timeoutMs })
    .toMatch(typeof text === "string" ? new RegExp(`^${escapeRegExp(text)}$`) : text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

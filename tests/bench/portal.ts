import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import type { Page } from "playwright-core";
import { addDays } from "../../backoffice/register/time-rules.js";
import { ROLES } from "../../db/roles.js";
import { devKeyPair, devSecret } from "../../lib/secrets.js";
import { firstBusinessDayFrom } from "../../portal/applications/business-days.js";
import { isNationalHoliday } from "../../portal/applications/holidays.server.js";
import { japanDate } from "../../portal/applications/today.js";
import { hasChromium, launchChromium, newContext, type RunningSystem, startSystem } from "../e2e/system.js";
import { freePort } from "../support/free-port.js";
import { formatLoad, type LoadResult, runLoad } from "./load.js";

/**
 * Portal part of `npm run bench`: requests per second and p99 for the home and status pages
 * with 50 concurrent logged-in sessions, next to a bare node:http server answering a page of the
 * same size, measured in the same run by the same client.
 *
 * Measured twice: the portal as `npm start` runs it (Vite SSR, React's development build), and
 * a production portal (`npm run build:portal`, NODE_ENV=production) started beside it on the
 * same database and queue. Production insists on https:// public URLs and configured secrets: it
 * gets https URLs (it serves plain http on loopback, as behind a TLS-terminating proxy; the load
 * client sends the `__Host-` cookie itself), a fresh client key, the session secret both portals
 * share, and the back office's public sealing key.
 */
const SESSIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export async function benchPortal(log: (line: string) => void): Promise<void> {
  if (!hasChromium)
    throw new Error("portal bench: /usr/bin/chromium is needed to log in (apt-get install -y chromium)");
  log("portal: starting the whole system as npm start does…");
  // One session secret for both portals, so that a session made by logging in through the
  // development portal is valid at the production one (same database).
  const sessionSecret = randomBytes(32).toString("base64url");
  const system = await startSystem({ LOG_LEVEL: "warn", SESSION_SECRET: sessionSecret });
  const browser = await launchChromium();
  try {
    // 50 sessions of one card holder (the status page is readable only by its owner), each
    // through the real card login; the first files one application for the status page.
    log(`portal: logging in ${SESSIONS} sessions through the card IdP…`);
    const cookies: string[] = [];
    let statusUrl = "";
    for (let i = 0; i < SESSIONS; i++) {
      const context = await newContext(browser, { javaScript: false });
      const page = await context.newPage();
      await logIn(page, system.portal);
      if (i === 0) statusUrl = await fileOne(page);
      const jar = await context.cookies(system.portal);
      cookies.push(jar.map((c) => `${c.name}=${c.value}`).join("; "));
      await context.close();
    }
    const home = `${system.portal}/`;
    // Warm up (JIT, connection pools), then measure.
    await runLoad({ url: home, cookies, concurrency: SESSIONS, seconds: 2 });
    const homeResult = await runLoad({ url: home, cookies, concurrency: SESSIONS, seconds: SECONDS });
    await runLoad({ url: statusUrl, cookies, concurrency: SESSIONS, seconds: 2 });
    const statusResult = await runLoad({ url: statusUrl, cookies, concurrency: SESSIONS, seconds: SECONDS });

    // The baseline: node:http answering a page of the same size, nothing else.
    const page = Buffer.alloc(homeResult.bytes, "x");
    const bare = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": page.length });
      res.end(page);
    });
    await new Promise<void>((r) => bare.listen(0, "127.0.0.1", () => r()));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    await runLoad({ url: bareUrl, cookies: [], concurrency: SESSIONS, seconds: 2 });
    const bareResult = await runLoad({ url: bareUrl, cookies: [], concurrency: SESSIONS, seconds: SECONDS });
    bare.close();

    log("portal: building and starting a production portal beside it…");
    const prod = await startProductionPortal(system, sessionSecret);
    let prodHome: LoadResult;
    let prodStatus: LoadResult;
    try {
      // Same sessions: the cookie's name is __Host-juki_session where the public URL is https.
      const prodCookies = cookies.map((c) => c.replace(/(^|; )juki_session=/, "$1__Host-juki_session="));
      const prodStatusUrl = statusUrl.replace(system.portal, prod.url);
      await runLoad({ url: `${prod.url}/`, cookies: prodCookies, concurrency: SESSIONS, seconds: 2 });
      prodHome = await runLoad({
        url: `${prod.url}/`,
        cookies: prodCookies,
        concurrency: SESSIONS,
        seconds: SECONDS,
      });
      await runLoad({ url: prodStatusUrl, cookies: prodCookies, concurrency: SESSIONS, seconds: 2 });
      prodStatus = await runLoad({
        url: prodStatusUrl,
        cookies: prodCookies,
        concurrency: SESSIONS,
        seconds: SECONDS,
      });
    } finally {
      await prod.stop();
    }

    log("");
    log(
      `portal, ${SESSIONS} concurrent sessions, ${SECONDS} s each, as under npm start (development build):`,
    );
    log(formatLoad("  home page (logged in)", homeResult));
    log(formatLoad("  status page (受付済み)", statusResult));
    log(formatLoad("  bare node:http, same size", bareResult));
    log(
      `  ratio portal/bare: home ${(homeResult.rps / bareResult.rps).toFixed(3)}, status ${(statusResult.rps / bareResult.rps).toFixed(3)} (throughput); p99 ${(homeResult.p99 / bareResult.p99).toFixed(1)}× / ${(statusResult.p99 / bareResult.p99).toFixed(1)}×`,
    );
    log(`portal, production build (NODE_ENV=production), same sessions and client:`);
    log(formatLoad("  home page (logged in)", prodHome));
    log(formatLoad("  status page (受付済み)", prodStatus));
    log(
      `  ratio portal/bare: home ${(prodHome.rps / bareResult.rps).toFixed(3)}, status ${(prodStatus.rps / bareResult.rps).toFixed(3)} (throughput); p99 ${(prodHome.p99 / bareResult.p99).toFixed(1)}× / ${(prodStatus.p99 / bareResult.p99).toFixed(1)}×`,
    );
    log(
      `  production vs development: home ${(prodHome.rps / homeResult.rps).toFixed(1)}×, status ${(prodStatus.rps / statusResult.rps).toFixed(1)}× the throughput`,
    );
    if (homeResult.errors || statusResult.errors || prodHome.errors || prodStatus.errors)
      log("  WARNING: some requests did not answer 200");
  } finally {
    await browser.close();
    await system.stop();
  }
}

async function logIn(page: Page, portal: string): Promise<void> {
  await page.goto(`${portal}/`);
  await page.getByRole("button", { name: "マイナンバーカードでログイン" }).click();
  await page.getByRole("button", { name: /墨田 太郎/ }).click();
  await page.getByLabel(/利用者証明用電子証明書の暗証番号/).fill("1234");
  await page.getByRole("button", { name: "ログインする" }).click();
  await page.waitForURL(`${portal}/`);
}

/** Files one 転出届 + 転入予約 (the journey of tests/e2e, without JavaScript) and returns its status page URL. */
async function fileOne(page: Page): Promise<string> {
  const moveDate = addDays(japanDate(new Date()), 7);
  const visitDate = firstBusinessDayFrom(addDays(moveDate, 1), isNationalHoliday);
  await page.getByRole("link", { name: /転出届・転入予約/ }).click();
  await page.getByLabel("転出予定日").fill(moveDate);
  await page.getByLabel("転出先の市区町村").fill("東京都台東区");
  await page.getByLabel("町名").fill("上野");
  await page.getByLabel(/^丁目/).fill("3");
  await page.getByLabel("番地（番）").fill("5");
  await page.getByLabel(/^号/).fill("2");
  await page.getByLabel("電話番号").fill("03-1234-5678");
  await page.getByLabel("メールアドレス").fill("taro@example.jp");
  await page.getByLabel("引越し先の窓口に行く日").fill(visitDate);
  await page.getByRole("button", { name: "入力内容を確認する" }).click();
  await page.waitForURL(/\/applications\/[0-9a-f-]{36}\/review$/);
  await page.getByRole("button", { name: "署名して送信" }).click();
  await page.getByLabel(/署名用電子証明書の暗証番号/).fill("Sumida2026");
  await page.getByRole("button", { name: "署名する" }).click();
  await page.waitForURL(/\/applications\/[0-9a-f-]{36}\?submitted=1$/);
  return page.url().replace(/\?.*$/, "");
}

const root = path.resolve(import.meta.dirname, "../..");

/**
 * A production portal on a free port, beside a running system: built first, then started as
 * an operator would (NODE_ENV=production, portal role on the same database, same queue store).
 */
async function startProductionPortal(
  system: RunningSystem,
  sessionSecret: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  execFileSync("npm", ["run", "build:portal"], { cwd: root, stdio: "ignore" });
  const port = await freePort();
  const db = (role: string, password: string) =>
    `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${system.postgresPort}/juki`;
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const clientKey = { ...(await exportJWK(privateKey)), kid: "bench", alg: "ES256" };
  const sealing = devKeyPair(system.dataDir, "intake-sealing", "ECDH-ES+A256KW").publicJwk;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "portal/server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      DATA_DIR: system.dataDir,
      PORTAL_PORT: String(port),
      PORTAL_DATABASE_URL: db(ROLES.portal, devSecret(system.dataDir, "db-role-portal")),
      QUEUE_DATABASE_URL: db(ROLES.queue, devSecret(system.dataDir, "db-role-queue")),
      PORTAL_PUBLIC_URL: `https://127.0.0.1:${port}`,
      CARD_IDP_ISSUER: `https://127.0.0.1:${system.mocksPort}/card`,
      CARD_IDP_CLIENT_KEY: JSON.stringify(clientKey),
      SESSION_SECRET: sessionSecret,
      BACKOFFICE_INTAKE_PUBLIC_KEY: JSON.stringify(sealing),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (d) => {
    errors += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the production portal exited: ${errors.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the production portal did not become ready in 60 s");
    }
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

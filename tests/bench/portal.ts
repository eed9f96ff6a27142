import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { addDays } from "../../backoffice/register/time-rules.js";
import { firstBusinessDayFrom } from "../../portal/applications/business-days.js";
import { isNationalHoliday } from "../../portal/applications/holidays.server.js";
import { japanDate } from "../../portal/applications/today.js";
import { hasChromium, launchChromium, newContext, startSystem } from "../e2e/system.js";
import { formatLoad, runLoad } from "./load.js";

/**
 * Portal part of `npm run bench`: requests per second and p99 for the home and status pages
 * with 50 concurrent logged-in sessions, next to a bare node:http server answering a page of the
 * same size, measured in the same run by the same client.
 *
 * The portal runs as `npm start` runs it (Vite SSR, React's development build): its production
 * mode insists on https:// URLs and configured secrets, which a local run cannot give without
 * TLS. The figures are therefore a lower bound for a production deployment.
 */
const SESSIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export async function benchPortal(log: (line: string) => void): Promise<void> {
  if (!hasChromium)
    throw new Error("portal bench: /usr/bin/chromium is needed to log in (apt-get install -y chromium)");
  log("portal: starting the whole system as npm start does…");
  const system = await startSystem({ LOG_LEVEL: "warn" });
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
    if (homeResult.errors || statusResult.errors) log("  WARNING: some requests did not answer 200");
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

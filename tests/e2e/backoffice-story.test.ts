import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../../backoffice/register/time-rules.js";
import { loadWorld } from "../../lib/world.js";
import { firstBusinessDayFrom } from "../../portal/applications/business-days.js";
import { isNationalHoliday } from "../../portal/applications/holidays.server.js";
import { japanDate } from "../../portal/applications/today.js";
import { hasChromium, launchChromium, newContext, type RunningSystem, startSystem } from "./system.js";

/**
 * The first cross-zone story, in Chromium against the whole system: 墨田 太郎 files 転出届 +
 * 転入予約 to 台東区 online with 墨田 花子 → 墨田区 accepts (pipeline) → a 台東区 clerk finds the
 * reservation and confirms the move-in (特例転入) → the 転入通知 is acknowledged → the portal shows
 * 完了. People, PINs and staff come from the world file.
 */
const world = loadWorld();
const taro = world.people.find((p) => p.name.family === "墨田" && p.name.given === "太郎");
const hanako = world.people.find((p) => p.name.family === "墨田" && p.name.given === "花子");
const clerk = world.staff.find((s) => s.lgCode === "131067" && s.roles.includes("clerk"));
const today = japanDate(new Date());
const visitDate = firstBusinessDayFrom(addDays(today, 1), isNationalHoliday);

let system: RunningSystem;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function expectHeading(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.locator("h1").first().textContent(), { timeout: 90_000 }).toBe(text);
}

describe.skipIf(!hasChromium || !taro?.card?.signCert || !hanako || !clerk)(
  "story: 墨田区 → 台東区 in Chromium",
  () => {
    beforeAll(async () => {
      system = await startSystem();
      browser = await launchChromium();
    }, 300_000);
    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close();
      await system?.stop();
    });

    async function page(): Promise<Page> {
      const context = await newContext(browser);
      contexts.push(context);
      return context.newPage();
    }

    it("墨田 太郎 files online, a 台東区 clerk confirms the move-in, the portal shows 完了", async () => {
      // 1. The portal: 墨田 太郎 files 転出届 + 転入予約 to 台東区 with 墨田 花子 and signs.
      const resident = await page();
      await resident.goto(`${system.portal}/`);
      await resident.getByRole("button", { name: "マイナンバーカードでログイン" }).click();
      await resident.getByRole("button", { name: /墨田 太郎/ }).click();
      await resident.getByLabel(/利用者証明用電子証明書の暗証番号/).fill(taro!.card!.pins.auth);
      await resident.getByRole("button", { name: "ログインする" }).click();
      await resident.waitForURL(`${system.portal}/`);
      await resident.getByRole("link", { name: /転出届・転入予約/ }).click();
      await resident.waitForURL(/\/move-out$/, { timeout: 90_000 });
      await expectHeading(resident, "転出届・転入予約");
      await resident.getByLabel("転出予定日").fill(today);
      await resident.getByLabel("転出先の市区町村").fill("東京都台東区");
      await resident.getByLabel("町名").fill("上野");
      await resident.getByLabel(/^丁目/).fill("3");
      await resident.getByLabel("番地（番）").fill("5");
      await resident.getByLabel(/^号/).fill("2");
      await resident.getByRole("button", { name: "一緒に引越す人を追加" }).click();
      await resident.getByLabel("氏", { exact: true }).fill(hanako!.name.family);
      await resident.getByLabel("名", { exact: true }).fill(hanako!.name.given);
      await resident.getByLabel("氏（フリガナ）").fill(hanako!.name.familyKana);
      await resident.getByLabel("名（フリガナ）").fill(hanako!.name.givenKana);
      await resident.getByLabel("生年月日").fill(hanako!.birthDate);
      await resident.locator("select[name='members[0].relationship']").selectOption("wife");
      await resident.getByLabel("電話番号").fill("03-1234-5678");
      await resident.getByLabel("メールアドレス").fill("taro@example.jp");
      await resident.getByLabel("引越し先の窓口に行く日").fill(visitDate);
      await resident.getByRole("button", { name: "入力内容を確認する" }).click();
      await resident.waitForURL(/\/applications\/[0-9a-f-]{36}\/review$/);
      await resident.getByRole("button", { name: "署名して送信" }).click();
      await resident.getByLabel(/署名用電子証明書の暗証番号/).fill(taro!.card!.pins.sign!);
      await resident.getByRole("button", { name: "署名する" }).click();
      await resident.waitForURL(/\/applications\/[0-9a-f-]{36}\?submitted=1$/);
      const statusUrl = resident.url().replace(/\?submitted=1$/, "");
      console.info("story: filed and signed");

      // 2. The pipeline: 墨田区 accepts, 台東区 receives the 転出証明書情報 → 来庁待ち.
      await expect
        .poll(
          async () => {
            await resident.goto(statusUrl);
            return resident.locator(".status").first().textContent();
          },
          { timeout: 180_000, interval: 2_000 },
        )
        .toMatch(/来庁待ち|差戻し/);
      const status = await resident.locator(".status").first().textContent();
      expect(status, (await resident.locator("main").textContent()) ?? "").toBe("来庁待ち");
      console.info("story: 来庁待ち at the portal");
      // 3. The back office: a 台東区 clerk finds the reservation and confirms the move-in.
      const office = await page();
      await office.goto(`${system.backoffice}/reservations`);
      await office.waitForURL(/\/login/, { timeout: 90_000 });
      await office.getByRole("button", { name: "職員ログイン" }).click();
      await office.getByLabel("職員ID").fill(clerk!.id);
      await office.getByLabel("パスワード").fill(clerk!.password);
      await office.getByRole("button", { name: "ログインする" }).click();
      await office.waitForURL(/\/reservations$/, { timeout: 90_000 });
      await expectHeading(office, "予約一覧");
      await office.getByLabel("受付番号・申請ID・氏名で検索").fill("墨田太郎");
      await office.getByRole("button", { name: "検索" }).click();
      const row = office.locator("tr", { hasText: "墨田 太郎" }).first();
      await row.getByRole("link").first().click();
      await office.waitForURL(/\/reservations\/[0-9a-f-]{36}$/);
      await expect.poll(() => office.locator("main").textContent()).toContain("墨田 花子");
      await office.getByRole("link", { name: "転入を確定する" }).click();
      await expectHeading(office, "転入を確定");
      await office.getByRole("button", { name: "転入を確定する" }).click();
      await expect
        .poll(() => office.getByRole("status").first().textContent(), { timeout: 60_000 })
        .toContain("転入を確定しました");
      console.info("story: move-in confirmed at the counter");
      // The page follows the 転入通知 until 墨田区 has it (refreshing itself).
      await expect
        .poll(() => office.locator("main").textContent(), { timeout: 120_000, interval: 2_000 })
        .toContain("すべての通知が受理されました");
      console.info("story: 転入通知 acknowledged");

      // 4. The portal shows 完了.
      await expect
        .poll(
          async () => {
            await resident.goto(statusUrl);
            return resident.locator(".status").first().textContent();
          },
          { timeout: 120_000, interval: 2_000 },
        )
        .toBe("完了");
    }, 600_000);
  },
);

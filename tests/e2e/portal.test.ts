import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addDays, dayOfWeek } from "../../backoffice/register/time-rules.js";
import { firstBusinessDayFrom } from "../../portal/applications/business-days.js";
import { isNationalHoliday } from "../../portal/applications/holidays.server.js";
import { japanDate } from "../../portal/applications/today.js";
import { type BrowserSystem, expectAccessible, expectHeading, useBrowserSystem } from "./browser-suite.js";
import { hasChromium } from "./system.js";

/**
 * The resident's journeys through the portal and the card IdP stand-in, in Chromium, against the
 * whole system started as `npm start` starts it. People and PINs are the demo world's
 * (fixtures/world.json): 墨田 太郎 and 花子, 押上 健 (expired signing certificate), 向島 さくら
 * (suspended card), 両国 みどり (whose card the wrong PINs lock).
 */
const today = japanDate(new Date());
const moveDate = addDays(today, 7);
const visitDate = firstBusinessDayFrom(addDays(moveDate, 1), isNationalHoliday);
let weekend = addDays(moveDate, 1);
while (dayOfWeek(weekend) !== 6) weekend = addDays(weekend, 1);

// The running system and the browser, set up by the suite below.
let e2e: BrowserSystem;

describe.skipIf(!hasChromium)("portal journeys in Chromium", () => {
  e2e = useBrowserSystem("portal");

  async function logIn(page: Page, person: RegExp, pin: string, checkA11y = false): Promise<void> {
    await page.goto(`${e2e.system.portal}/`);
    if (checkA11y) await expectAccessible(page, "start page");
    // Keyboard only: focus the button and press Enter.
    await page.getByRole("button", { name: "マイナンバーカードでログイン" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: person }).click();
    await page.getByLabel(/利用者証明用電子証明書の暗証番号/).fill(pin);
    await page.getByRole("button", { name: "ログインする" }).click();
  }

  async function fileMoveOut(
    page: Page,
    opts: { checkAsYouType: boolean; withHanako?: boolean },
  ): Promise<void> {
    await page.getByRole("link", { name: /転出届・転入予約/ }).click();
    // Under `npm start` the first visit compiles the form's modules (Vite): allow for it.
    await page.waitForURL(/\/move-out$/, { timeout: 90_000 });
    await expectHeading(page, "転出届・転入予約");
    await page.getByLabel("転出予定日").fill(moveDate);
    await page.getByLabel("転出先の市区町村").fill("東京都台東区");
    await page.getByLabel("町名").fill("上野");
    await page.getByLabel(/^丁目/).fill("3");
    await page.getByLabel("番地（番）").fill("5");
    await page.getByLabel(/^号/).fill("2");
    if (opts.withHanako ?? true) {
      await page.getByRole("button", { name: "一緒に引越す人を追加" }).click();
      await page.getByLabel("氏", { exact: true }).fill("墨田");
      await page.getByLabel("名", { exact: true }).fill("花子");
      await page.getByLabel("氏（フリガナ）").fill("スミダ");
      await page.getByLabel("名（フリガナ）").fill("ハナコ");
      await page.getByLabel("生年月日").fill("1987-09-03");
      await page.locator("select[name='members[0].relationship']").selectOption("wife");
    }
    await page.getByLabel("電話番号").fill("03-1234-5678");
    await page.getByLabel("メールアドレス").fill("taro@example.jp");
    const visit = page.getByLabel("引越し先の窓口に行く日");
    if (opts.checkAsYouType) {
      // With JavaScript the field is checked as soon as it is left, before any submit.
      await visit.fill(weekend);
      await visit.blur();
      await expect.poll(() => page.getByText("土曜日・日曜日は窓口が開いていません。").count()).toBe(1);
      await expect(visit.getAttribute("aria-invalid")).resolves.toBe("true");
      const describedBy = (await visit.getAttribute("aria-describedby")) ?? "";
      const errorId = describedBy.split(" ").find((id) => id.endsWith("-error"));
      expect(errorId).toBeTruthy();
      await expect(page.locator(`[id="${errorId}"]`).textContent()).resolves.toContain("土曜日・日曜日");
      await expectAccessible(page, "form with an error shown");
    }
    await visit.fill(visitDate);
    await page.getByRole("button", { name: "入力内容を確認する" }).click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}\/review$/);
    await expectHeading(page, "入力内容の確認");
    if (opts.checkAsYouType) await expectAccessible(page, "review page");
  }

  async function signAndSend(page: Page, signingPin: string): Promise<string> {
    await page.getByRole("button", { name: "署名して送信" }).click();
    await page.getByLabel(/署名用電子証明書の暗証番号/).fill(signingPin);
    await page.getByRole("button", { name: "署名する" }).click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}\?submitted=1$/);
    const receipt = (await page.getByTestId("receipt-number").textContent()) ?? "";
    expect(receipt).toMatch(/^\d{4}-\d{4}-\d{4}$/);
    await expect(page.locator(".status").first().textContent()).resolves.toBe("受付済み");
    return receipt;
  }

  it("墨田 太郎 logs in with his card, files 転出届 + 転入予約 to 台東区 with 墨田 花子, signs, gets a 受付番号 and 受付済み", async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    try {
      await logIn(page, /墨田 太郎/, "1234", true);
      await page.waitForURL(`${e2e.system.portal}/`);
      await expectHeading(page, "墨田 太郎 さん、ようこそ");
      await expectAccessible(page, "home page");
      await fileMoveOut(page, { checkAsYouType: true });
      const receipt = await signAndSend(page, "Sumida2026");
      await expectAccessible(page, "status page");
      // The home page lists it with its status.
      await page.getByRole("link", { name: "申請の一覧へ戻る" }).click();
      await expect.poll(() => page.getByRole("link", { name: receipt }).count()).toBe(1);
      // Pages with personal data are never cached.
      const res = await page.request.get(`${e2e.system.portal}/`);
      expect(res.headers()["cache-control"]).toBe("no-store");
      expect(res.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
      // Logout ends the session: the IdP confirms, then the portal's start page, logged out.
      await page.getByRole("button", { name: "ログアウト" }).click();
      const confirm = page.getByRole("button", { name: /ログアウト/ });
      if (page.url().startsWith(e2e.system.cardIdp)) await confirm.first().click();
      await page.waitForURL(new RegExp(`^${e2e.system.portal}/`));
      await page.goto(`${e2e.system.portal}/`);
      await expect(page.getByRole("button", { name: "マイナンバーカードでログイン" }).count()).resolves.toBe(
        1,
      );
    } finally {
      await context.close();
    }
  });

  it("the same without JavaScript (業平 トメ, alone), then cancelled", async () => {
    const context = await e2e.context({ javaScript: false });
    const page = await context.newPage();
    try {
      // Not 墨田 太郎 again: the back office now processes what the portal sends, and his
      // second filing is rightly returned as 既に転出予定 (a final state that cannot be cancelled).
      await logIn(page, /業平 トメ/, "1234");
      await page.waitForURL(`${e2e.system.portal}/`);
      await fileMoveOut(page, { checkAsYouType: false, withHanako: false });
      await signAndSend(page, "Narihira1935");
      // 「取り消す」, confirmed on a second step, while the counter has not completed it.
      await page.getByRole("link", { name: "取り消す" }).click();
      await page.getByRole("button", { name: "取消を確定する" }).click();
      await expect.poll(() => page.getByText("申請を取り消しました。").count()).toBe(1);
      await expect(page.locator(".status").first().textContent()).resolves.toBe("取消済み");
      await expect(page.getByRole("link", { name: "取り消す" }).count()).resolves.toBe(0);
      // The English switch, a plain link.
      await page.getByRole("link", { name: "Switch to English" }).click();
      await expectHeading(page, "Application status");
      await expect(page.locator("html").getAttribute("lang")).resolves.toBe("en");
    } finally {
      await context.close();
    }
  });

  it("without JavaScript, a mistake comes back from the server next to its field", async () => {
    const context = await e2e.context({ javaScript: false });
    const page = await context.newPage();
    try {
      await logIn(page, /墨田 太郎/, "1234");
      await page.waitForURL(`${e2e.system.portal}/`);
      await page.getByRole("link", { name: /転出届・転入予約/ }).click();
      await page.getByLabel("転出予定日").fill(moveDate);
      await page.getByLabel("転出先の市区町村").fill("府中市");
      await page.getByRole("button", { name: "入力内容を確認する" }).click();
      await expect.poll(() => page.getByText("同じ名前の市区町村が複数あります。").count()).toBe(1);
      const field = page.getByLabel("転出先の市区町村");
      await expect(field.getAttribute("aria-invalid")).resolves.toBe("true");
      await expect(field.inputValue()).resolves.toBe("府中市");
    } finally {
      await context.close();
    }
  });

  it("押上 健 (expired signing certificate) is told he cannot file online, and what to do instead", async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    try {
      await logIn(page, /押上 健/, "1234");
      await page.waitForURL(`${e2e.system.portal}/`);
      await expect(page.getByText("オンラインでは申請できません").count()).resolves.toBe(1);
      await expect(page.getByText(/署名用電子証明書の有効期限が切れている/).count()).resolves.toBe(1);
      await page.goto(`${e2e.system.portal}/move-out`);
      await expect(
        page.getByText(/窓口で電子証明書を更新するか、窓口で転出届を出してください/).count(),
      ).resolves.toBe(1);
      await expect(page.getByRole("button", { name: "入力内容を確認する" }).count()).resolves.toBe(0);
      await expectAccessible(page, "cannot-file page");
    } finally {
      await context.close();
    }
  });

  it("向島 さくら (suspended card) cannot log in", async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    try {
      await page.goto(`${e2e.system.portal}/`);
      await page.getByRole("button", { name: "マイナンバーカードでログイン" }).click();
      await page.getByRole("button", { name: /向島 さくら/ }).click();
      await expect.poll(() => page.getByText(/一時停止/).count()).toBeGreaterThan(0);
      await expect(page.getByLabel(/利用者証明用電子証明書の暗証番号/).count()).resolves.toBe(0);
      const cookies = await context.cookies(e2e.system.portal);
      expect(cookies.some((c) => c.name.endsWith("juki_session"))).toBe(false);
    } finally {
      await context.close();
    }
  });

  it("three wrong PINs lock the card's 利用者証明用電子証明書", async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    try {
      await page.goto(`${e2e.system.portal}/`);
      await page.getByRole("button", { name: "マイナンバーカードでログイン" }).click();
      await page.getByRole("button", { name: /両国 みどり/ }).click();
      for (const attempt of [1, 2, 3]) {
        await page.getByLabel(/利用者証明用電子証明書の暗証番号/).fill("9999");
        await page.getByRole("button", { name: "ログインする" }).click();
        if (attempt < 3) await expect.poll(() => page.getByText(/あと\s*\d\s*回/).count()).toBeGreaterThan(0);
      }
      await expect.poll(() => page.getByText(/ロックされています/).count()).toBeGreaterThan(0);
      // Even the right PIN is refused now.
      await page.goto(`${e2e.system.portal}/auth/login`);
      await page.getByRole("button", { name: /両国 みどり/ }).click();
      await expect.poll(() => page.getByText(/ロックされています/).count()).toBeGreaterThan(0);
      expect(page.url().startsWith(e2e.system.portal)).toBe(false);
    } finally {
      await context.close();
    }
  });
});

import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loadWorld } from "../../lib/world.js";
import { type BrowserSystem, expectAccessible, expectHeading, useBrowserSystem } from "./browser-suite.js";
import { hasChromium } from "./system.js";

/**
 * The back office in Chromium against the whole system as `npm start` runs it: staff login through
 * the staff realm of the IdP stand-in, 予約一覧, 住民検索 and 住民票の閲覧, logout, the audit viewer
 * with chain verification, and Bull Board for admins only. Staff and people come from the world
 * file (WORLD_FILE or fixtures/world.json).
 */
const world = loadWorld();
const TAITO = "131067";
const staffOf = (role: "clerk" | "auditor" | "admin") => {
  const s = world.staff.find((x) => x.lgCode === TAITO && x.roles.includes(role));
  if (!s) throw new Error(`the world file has no ${role} of ${TAITO}`);
  return s;
};
const resident = world.people.find((p) => p.lgCode === TAITO);

// The running system and the browser, set up by the suite below.
let e2e: BrowserSystem;

/** From any back-office page that needs a login: 職員ログイン → the IdP's id/password page → back. */
async function logIn(page: Page, staff: { id: string; password: string }, checkA11y = false): Promise<void> {
  await page.waitForURL(/\/login/, { timeout: 90_000 });
  await expectHeading(page, "職員ログイン");
  if (checkA11y) await expectAccessible(page, "login page");
  await page.getByRole("button", { name: "職員ログイン" }).focus();
  await page.keyboard.press("Enter");
  await page.getByLabel("職員ID").fill(staff.id);
  await page.getByLabel("パスワード").fill(staff.password);
  await page.getByRole("button", { name: "ログインする" }).click();
}

describe.skipIf(!hasChromium || !resident)("back-office journeys in Chromium", () => {
  e2e = useBrowserSystem("backoffice");
  const page = () => e2e.page();

  it("a clerk logs in, sees 予約一覧, finds and opens a record, and logs out", async () => {
    const clerk = staffOf("clerk");
    const p = await page();
    await p.goto(`${e2e.system.backoffice}/reservations`);
    await logIn(p, clerk, true);
    await p.waitForURL(/\/reservations$/, { timeout: 90_000 });
    await expectHeading(p, "予約一覧");
    const header = p.locator("header");
    await expect.poll(() => header.textContent()).toContain("台東区");
    await expect.poll(() => header.textContent()).toContain(`${clerk.name}（窓口担当）`);
    await expectAccessible(p, "予約一覧");

    await p.getByRole("link", { name: "住民検索" }).click();
    await expectHeading(p, "住民検索");
    await p.getByLabel("利用目的").selectOption("counter");
    await p.getByLabel("氏名（漢字またはカナ）").fill(`${resident!.name.family}${resident!.name.given}`);
    await p.getByRole("button", { name: "検索" }).click();
    const link = p.getByRole("link", { name: `${resident!.name.family} ${resident!.name.given}` });
    await link.click();
    await p.waitForURL(/\/records\/[0-9a-f-]{36}\?purpose=counter/);
    await expectHeading(
      p,
      `${resident!.name.family} ${resident!.name.given}（${resident!.name.familyKana} ${resident!.name.givenKana}）`,
    );
    await expect.poll(() => p.locator("main").textContent()).toContain(resident!.residentCode);
    expect(p.url()).not.toContain(resident!.name.family);
    await expectAccessible(p, "住民票の閲覧");

    // A clerk cannot open the audit log nor the queues.
    await p.goto(`${e2e.system.backoffice}/audit`);
    await expectHeading(p, "この操作は許可されていません");
    const queues = await p.goto(`${e2e.system.backoffice}/admin/queues`);
    expect(queues?.status()).toBe(403);

    await p.goto(`${e2e.system.backoffice}/reservations`);
    await p.getByRole("button", { name: "ログアウト" }).click();
    // The back office's session ends first; then the IdP asks to confirm its own logout.
    await p.waitForURL((u) => u.href.startsWith(e2e.system.cardIdp) || u.pathname === "/login");
    if (p.url().startsWith(e2e.system.cardIdp))
      await p.getByRole("button", { name: "ログアウトする" }).click();
    await p.waitForURL(/\/login/);
    await p.goto(`${e2e.system.backoffice}/records`);
    await p.waitForURL(/\/login\?next=/);
  });

  it("an auditor reads the audit log (the clerk's view is there) and verifies the chains", async () => {
    const p = await page();
    await p.goto(`${e2e.system.backoffice}/audit`);
    await logIn(p, staffOf("auditor"));
    await p.waitForURL(/\/audit$/, { timeout: 90_000 });
    await expectHeading(p, "監査ログ");
    await p.getByLabel("閲覧の目的").selectOption("periodic");
    await p.getByLabel("種類").fill("record.view");
    await p.getByRole("button", { name: "表示" }).click();
    await p.waitForURL(/purpose=periodic/);
    await expect.poll(() => p.locator("table").first().textContent()).toContain(staffOf("clerk").id);
    await p.getByRole("button", { name: "監査ログを検証する" }).click();
    await expect
      .poll(() => p.getByRole("status").first().textContent(), { timeout: 30_000 })
      .toContain("改ざんは見つかりませんでした");
    await expectAccessible(p, "監査ログ");
  });

  it("an admin opens Bull Board; the queues of the system are listed", async () => {
    const p = await page();
    await p.goto(`${e2e.system.backoffice}/admin/queues`);
    await logIn(p, staffOf("admin"));
    await p.waitForURL(/\/admin\/queues/, { timeout: 90_000 });
    await expect.poll(() => p.locator("body").textContent(), { timeout: 30_000 }).toContain("intake");
  });
});

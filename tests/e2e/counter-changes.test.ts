import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loadWorld } from "../../lib/world.js";
import {
  type BrowserSystem,
  expectAccessible,
  expectHeading as expectHeadingWithin,
  useBrowserSystem,
} from "./browser-suite.js";
import { hasChromium } from "./system.js";

/**
 * The counter change forms in Chromium against the system as `npm start` starts it (issue 6,
 * item 6): a 出生届 with JavaScript (Conform checks as you type, the result page shows the
 * 届出期間経過 flag), a 死亡届 without JavaScript (the server's errors next to the fields), and a
 * 職権修正 filed by a clerk and approved by the supervisor.
 */
const world = loadWorld();

// The running system and the browser, set up by the suite below.
let e2e: BrowserSystem;
const page = (javaScript = true): Promise<Page> => e2e.page({ javaScript });
const expectHeading = (p: Page, text: string) => expectHeadingWithin(p, text, 90_000);

async function staffLogIn(p: Page, staffId: string): Promise<void> {
  const member = world.staff.find((s) => s.id === staffId)!;
  await p.goto(`${e2e.system.backoffice}/`);
  await p.getByRole("button", { name: "職員ログイン" }).click();
  await p.getByLabel("職員ID").fill(member.id);
  await p.getByLabel("パスワード").fill(member.password);
  await p.getByRole("button", { name: "ログインする" }).click();
  await p.waitForURL(new RegExp(`^${e2e.system.backoffice}/`));
}

/** A hosted municipality's clerk and supervisor, and a head of household living there. */
const lg = world.municipalities.find(
  (m) =>
    m.hosted &&
    world.staff.some((s) => s.lgCode === m.lgCode && s.roles.includes("clerk")) &&
    world.staff.some((s) => s.lgCode === m.lgCode && s.roles.includes("supervisor")) &&
    world.people.some((p) => p.lgCode === m.lgCode && p.relationship === "世帯主" && p.nationality === "JP"),
)!.lgCode;
const clerk = world.staff.find((s) => s.lgCode === lg && s.roles.includes("clerk"))!.id;
const supervisor = world.staff.find((s) => s.lgCode === lg && s.roles.includes("supervisor"))!.id;
const head = world.people.find(
  (p) => p.lgCode === lg && p.relationship === "世帯主" && p.nationality === "JP",
)!;

describe.skipIf(!hasChromium)("counter change forms in the browser", () => {
  e2e = useBrowserSystem("counter-changes");

  it("出生届 with JavaScript: errors as you type, then the result with 届出期間経過", async () => {
    const p = await page(true);
    await staffLogIn(p, clerk);
    await p.goto(`${e2e.system.backoffice}/changes`);
    await p.getByRole("link", { name: "出生届" }).click();
    await p.waitForURL(/\/changes\/birth$/);
    await expectHeading(p, "出生届");
    const kana = p.getByLabel("氏のフリガナ");
    await kana.fill("しけん");
    await kana.blur();
    await expect.poll(() => kana.getAttribute("aria-invalid")).toBe("true");
    // The message sits next to the field (and in the summary above the form).
    const kanaId = await kana.getAttribute("id");
    await expect
      .poll(() => p.locator(`[id="${kanaId}-error"]`).textContent())
      .toBe("氏のフリガナは全角カタカナで入力してください");
    await kana.fill(head.name.familyKana);
    await expect.poll(() => kana.getAttribute("aria-invalid")).toBeNull();

    await p.getByLabel("届出日").fill(new Date().toISOString().slice(0, 10));
    await p.getByLabel("氏", { exact: true }).fill(head.name.family);
    await p.getByLabel("名", { exact: true }).fill("試験子");
    await p.getByLabel("名のフリガナ").fill("シケンコ");
    // Born a month ago: the notification is late (14 days), accepted and flagged.
    const born = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    await p.getByLabel("生年月日").fill(born);
    await p.getByLabel("性別").selectOption("female");
    await p.getByLabel("本籍", { exact: true }).fill("東京都墨田区吾妻橋一丁目1番地");
    await p.getByLabel("筆頭者").fill(`${head.name.family}${head.name.given}`);
    await p.getByLabel("加入する世帯の方の住民票コード").fill(head.residentCode);
    await expectAccessible(p, "出生届 form");
    await p.getByRole("button", { name: "登録する" }).click();
    await p.waitForURL(/\/changes\/done\//);
    await expectHeading(p, "異動を登録しました");
    await expect(
      p
        .getByText(/届出期間経過/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
    await expect(p.getByText("試験子").first().isVisible()).resolves.toBe(true);
    await expectAccessible(p, "出生届 result");
  }, 300_000);

  it("死亡届 without JavaScript: the server's errors next to the fields, the values kept", async () => {
    const p = await page(false);
    await staffLogIn(p, clerk);
    await p.goto(`${e2e.system.backoffice}/changes/death`);
    await expectHeading(p, "死亡届");
    await p.getByLabel("亡くなった方の住民票コード").fill("12345678901");
    await p.getByLabel("死亡年月日").fill("2099-01-01");
    await p.getByLabel("届出日").fill(new Date().toISOString().slice(0, 10));
    await p.getByRole("button", { name: "登録する" }).click();
    await expect(p.getByRole("alert").textContent()).resolves.toMatch(/入力内容を確認してください/);
    const code = p.getByLabel("亡くなった方の住民票コード");
    await expect(code.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(code.inputValue()).resolves.toBe("12345678901");
    await expect(
      p
        .getByText(/検査数字が正しいもの/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
  }, 300_000);

  it("職権修正: a clerk files it, the supervisor reviews and approves; the change is made", async () => {
    const filer = await page(false);
    await staffLogIn(filer, clerk);
    await filer.goto(`${e2e.system.backoffice}/changes/ex-officio-correction`);
    await expectHeading(filer, "職権修正");
    await filer.getByLabel("修正する方の住民票コード").fill(head.residentCode);
    await filer.getByLabel("理由").fill("戸籍照会により方書の誤記を確認");
    await filer.getByLabel(/^方書/).fill("テスト荘101");
    await filer.getByLabel("町名").fill(head.address.town);
    if (head.address.chome) await filer.getByLabel(/^丁目/).fill(String(head.address.chome));
    await filer.getByLabel("番", { exact: true }).fill(String(head.address.block));
    if (head.address.lot) await filer.getByLabel(/^号/).fill(String(head.address.lot));
    await filer.getByRole("button", { name: "承認を申請する" }).click();
    await filer.waitForURL(/\/changes\/requested\//);
    await expect(filer.getByRole("status").textContent()).resolves.toMatch(/承認待ち/);

    const boss = await page(true);
    await staffLogIn(boss, supervisor);
    await boss.goto(`${e2e.system.backoffice}/approvals`);
    await expectHeading(boss, "承認待ち一覧");
    await boss
      .getByRole("link", { name: /内容を確認する/ })
      .first()
      .click();
    await expect(boss.getByText("テスト荘101").isVisible()).resolves.toBe(true);
    await boss.getByLabel(/承認する/).check();
    await boss.getByRole("button", { name: "決定する" }).click();
    await boss.waitForURL(/\/changes\/done\//);
    await expectHeading(boss, "異動を登録しました");
    await expect(
      boss
        .getByText(/テスト荘101/)
        .first()
        .isVisible(),
    ).resolves.toBe(true);
  }, 300_000);
});

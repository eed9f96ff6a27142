import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { addDays } from "../../backoffice/register/time-rules.js";
import { loadWorld } from "../../lib/world.js";
import { firstBusinessDayFrom } from "../../portal/applications/business-days.js";
import { isNationalHoliday } from "../../portal/applications/holidays.server.js";
import { japanDate } from "../../portal/applications/today.js";
import { type BrowserSystem, expectAccessible, expectHeading, useBrowserSystem } from "./browser-suite.js";
import { hasChromium } from "./system.js";

/**
 * The whole story across both zones and two municipalities, in Chromium, against the system as
 * `npm start` starts it (issue 6, "Browser journeys"): a resident files online at the portal,
 * the origin accepts, a clerk at the destination finds the reservation, checks the card,
 * confirms the move, processes the card and issues a 住民票の写し; the origin shows the 転出
 * confirmed and the portal 完了. People, cards and PINs are the demo world's.
 */
const today = japanDate(new Date());
// Moving today: the counter can confirm the move-in today. The planned visit is the next
// business day (the portal wants a future day); the resident comes early, which the counter accepts.
const visitDate = firstBusinessDayFrom(addDays(today, 1), isNationalHoliday);

// The running system and the browser, set up by the suite below.
let e2e: BrowserSystem;
const page = (javaScript = true): Promise<Page> => e2e.page({ javaScript });

// ---- the portal -------------------------------------------------------------------------------

async function residentLogIn(p: Page, person: RegExp, pin: string): Promise<void> {
  await p.goto(`${e2e.system.portal}/`);
  await p.getByRole("button", { name: "マイナンバーカードでログイン" }).click();
  await p.getByRole("button", { name: person }).click();
  await p.getByLabel(/利用者証明用電子証明書の暗証番号/).fill(pin);
  await p.getByRole("button", { name: "ログインする" }).click();
  await p.waitForURL(`${e2e.system.portal}/`);
}

interface Filing {
  kind: "moveOut" | "relocation";
  destination?: string;
  town: string;
  chome: string;
  block: string;
  lot: string;
  members?: {
    family: string;
    given: string;
    familyKana: string;
    givenKana: string;
    birthDate: string;
    relationship: string;
  }[];
  email: string;
  signingPin: string;
}

/** Files and signs; returns the status page's URL and the 受付番号. */
async function file(p: Page, f: Filing): Promise<{ statusUrl: string; receipt: string }> {
  if (f.kind === "moveOut") {
    await p.getByRole("link", { name: /転出届・転入予約/ }).click();
    await p.waitForURL(/\/move-out$/, { timeout: 90_000 });
    await p.getByLabel("転出予定日").fill(today);
    await p.getByLabel("転出先の市区町村").fill(f.destination ?? "");
  } else {
    await p.getByRole("link", { name: /転居予約/ }).click();
    await p.waitForURL(/\/relocation$/, { timeout: 90_000 });
    await p.getByLabel("転居予定日").fill(today);
  }
  await p.getByLabel("町名").fill(f.town);
  await p.getByLabel(/^丁目/).fill(f.chome);
  await p.getByLabel("番地（番）").fill(f.block);
  await p.getByLabel(/^号/).fill(f.lot);
  for (const [i, m] of (f.members ?? []).entries()) {
    await p.getByRole("button", { name: "一緒に引越す人を追加" }).click();
    await p.locator(`input[name='members[${i}].familyName']`).fill(m.family);
    await p.locator(`input[name='members[${i}].givenName']`).fill(m.given);
    await p.locator(`input[name='members[${i}].familyKana']`).fill(m.familyKana);
    await p.locator(`input[name='members[${i}].givenKana']`).fill(m.givenKana);
    await p.locator(`input[name='members[${i}].birthDate']`).fill(m.birthDate);
    await p.locator(`select[name='members[${i}].relationship']`).selectOption(m.relationship);
  }
  await p.getByLabel("電話番号").fill("03-1234-5678");
  await p.getByLabel("メールアドレス").fill(f.email);
  await p.getByLabel("引越し先の窓口に行く日").fill(visitDate);
  await p.getByRole("button", { name: "入力内容を確認する" }).click();
  await p.waitForURL(/\/applications\/[0-9a-f-]{36}\/review$/).catch(async (err: unknown) => {
    const shown = await p.locator("[role=alert], [id$='-error']").allTextContents();
    throw new Error(`the form was not accepted: ${shown.filter(Boolean).join(" / ")} (${String(err)})`);
  });
  await p.getByRole("button", { name: "署名して送信" }).click();
  await p.getByLabel(/署名用電子証明書の暗証番号/).fill(f.signingPin);
  await p.getByRole("button", { name: "署名する" }).click();
  await p.waitForURL(/\/applications\/[0-9a-f-]{36}\?submitted=1$/);
  const receipt = (await p.getByTestId("receipt-number").textContent()) ?? "";
  expect(receipt).toMatch(/^\d{4}-\d{4}-\d{4}$/);
  return { statusUrl: p.url().replace(/\?.*$/, ""), receipt };
}

/** Reloads the status page until it shows the status (the workers carry it over). */
async function expectStatus(p: Page, statusUrl: string, status: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await p.goto(statusUrl);
        const shown = await p.locator(".status").first().textContent();
        // A 差戻し carries its reason: show it in the failure.
        const reason = shown === status ? "" : await p.locator("dd").allTextContents();
        return reason ? `${shown} (${reason.join(" | ")})` : shown;
      },
      { timeout: 90_000, interval: 1000 },
    )
    .toBe(status);
}

// ---- the back office --------------------------------------------------------------------------

async function staffLogIn(p: Page, staffId: string, password: string): Promise<void> {
  await p.goto(`${e2e.system.backoffice}/`);
  await p.getByRole("button", { name: "職員ログイン" }).click();
  await p.getByLabel("職員ID").fill(staffId);
  await p.getByLabel("パスワード").fill(password);
  await p.getByRole("button", { name: "ログインする" }).click();
  await p.waitForURL(new RegExp(`^${e2e.system.backoffice}/`));
  await expect(p.locator("header").textContent()).resolves.toContain(
    staffId.startsWith("taito") ? "台東区" : "墨田区",
  );
}

/** Finds the reservation by its 受付番号 (it appears once the destination has the 転出証明書情報). */
async function openReservation(p: Page, receipt: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await p.goto(`${e2e.system.backoffice}/reservations`);
        await p.getByLabel("受付番号・申請ID・氏名で検索").fill(receipt);
        await p.getByRole("button", { name: "検索" }).click();
        return p.getByRole("link", { name: new RegExp(receipt) }).count();
      },
      { timeout: 90_000, interval: 1000 },
    )
    .toBeGreaterThan(0);
  await p
    .getByRole("link", { name: new RegExp(receipt) })
    .first()
    .click();
  await p.waitForURL(/\/reservations\/[0-9a-f-]{36}$/);
}

async function checkCard(p: Page, holder: RegExp, pin: string): Promise<void> {
  await p.getByRole("link", { name: "本人確認（マイナンバーカード）" }).click();
  await expectHeading(p, "本人確認（マイナンバーカード）");
  await selectOptionMatching(p, "カード", holder);
  await p.getByLabel(/利用者証明用電子証明書の暗証番号/).fill(pin);
  await p.getByRole("button", { name: "本人確認する" }).click();
  await expect
    .poll(() => p.locator("#result-title").textContent(), { timeout: 30_000 })
    .toMatch(/本人確認ができました/);
  await expect(p.locator("#result-title").getAttribute("class")).resolves.toContain("status-ok");
}

async function selectOptionMatching(p: Page, label: string, text: RegExp): Promise<void> {
  const select = p.getByLabel(label, { exact: true });
  const options = await select.locator("option").allTextContents();
  const match = options.find((o) => text.test(o));
  expect(match, `an option of ${label} matching ${text}`).toBeTruthy();
  await select.selectOption({ label: match as string });
}

/**
 * 「…を確定」 on the completion page, then waits until every outgoing message is accepted;
 * returns the completion page's address (it links to each person's record and card processing).
 */
async function confirmMove(p: Page, button: RegExp): Promise<string> {
  await p.goto(p.url().replace(/\/identity$/, ""));
  await p
    .getByRole("link", { name: /を確定/ })
    .first()
    .click();
  await p.waitForURL(/\/complete$/);
  await expectAccessible(p, "completion form");
  await p.getByRole("button", { name: button }).click();
  await expect
    .poll(
      async () => {
        await p.reload();
        return p.getByText("すべての通知が受理されました。").count();
      },
      { timeout: 90_000, interval: 1500 },
    )
    .toBe(1);
  return p.url();
}

/** One card procedure sent to J-LIS from the card page; waits for its row in the page's history. */
async function cardOperation(
  p: Page,
  operation: RegExp,
  holder: RegExp,
  pins: { pin?: string; newSignPin?: string },
): Promise<void> {
  const rows = p.locator("section[aria-labelledby='history'] tbody tr");
  const before = await rows.count();
  await selectOptionMatching(p, "手続", operation);
  await selectOptionMatching(p, "カード", holder);
  if (pins.pin) await p.getByLabel("利用者証明用電子証明書の暗証番号（数字4桁）").fill(pins.pin);
  if (pins.newSignPin) {
    await p.getByLabel("新しい署名用電子証明書の暗証番号", { exact: true }).fill(pins.newSignPin);
    await p.getByLabel("新しい署名用電子証明書の暗証番号（確認）").fill(pins.newSignPin);
  }
  await p.getByRole("button", { name: "J-LIS に送信する" }).click();
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(before + 1);
  const shown = `${await p.locator("#result-title").textContent()} ${await p.locator("#result-title + p").textContent()}`;
  expect(await p.locator("#result-title").getAttribute("class"), shown).toContain("status-ok");
}

async function openRecordByCode(
  p: Page,
  residentCode: string,
  includeRemoved = false,
  purpose = /窓口での届出/,
): Promise<void> {
  await p.goto(`${e2e.system.backoffice}/records`);
  await selectOptionMatching(p, "利用目的", purpose);
  await selectOptionMatching(p, "検索の方法", /住民票コード/);
  await p.getByLabel("住民票コード（11桁）").fill(residentCode);
  if (includeRemoved) await p.getByLabel("除票も検索する").check();
  await p.getByRole("button", { name: /検索/ }).click();
  await p.locator("main a[href^='/records/']").first().click();
  await p.waitForURL(/\/records\/[0-9a-f-]{36}(\?.*)?$/);
}

function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), "juki-story-"));
  try {
    const file = path.join(dir, "c.pdf");
    writeFileSync(file, pdf);
    execFileSync("qpdf", ["--check", file], { stdio: "ignore" });
    return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run alone: `npx vitest run --config vitest.system.config.ts tests/e2e/story.test.ts`; on failure
// the system's output (levels warn and above) is kept in $TMPDIR/juki-story-e2e.system.log.
describe.skipIf(!hasChromium)("the whole story in Chromium, across both zones", () => {
  e2e = useBrowserSystem("story");

  it("墨田 太郎 and 花子 move from 墨田区 to 台東区: filed online, accepted, confirmed at the 台東区 counter, cards processed, 住民票の写し issued, 転出 confirmed at 墨田区, 完了 at the portal", async () => {
    const resident = await page();
    await residentLogIn(resident, /墨田 太郎/, "1234");
    const { statusUrl, receipt } = await file(resident, {
      kind: "moveOut",
      destination: "東京都台東区",
      town: "上野",
      chome: "3",
      block: "5",
      lot: "2",
      members: [
        {
          family: "墨田",
          given: "花子",
          familyKana: "スミダ",
          givenKana: "ハナコ",
          birthDate: "1987-09-03",
          relationship: "wife",
        },
      ],
      email: "taro@example.jp",
      signingPin: "Sumida2026",
    });
    // 墨田区 accepts; 台東区 has the reservation.
    await expectStatus(resident, statusUrl, "来庁待ち");

    const clerk = await page();
    await staffLogIn(clerk, "taito-clerk", "taito-clerk-pass");
    await openReservation(clerk, receipt);
    await expectAccessible(clerk, "reservation detail");
    await expect(clerk.getByText("墨田 花子").count()).resolves.toBeGreaterThan(0);
    await checkCard(clerk, /墨田 太郎/, "1234");
    const completed = await confirmMove(clerk, /転入を確定する/);

    // J-LIS heard of the new address over 住基ネット: 太郎's 署名用電子証明書 is revoked (addressChange).
    const taroSign = loadWorld().people.find((p) => p.residentCode === "23333241870")?.card?.signCert?.serial;
    expect(taroSign).toBeTruthy();
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${e2e.system.cardIdp}/jpki/certificates/${taroSign}/status`)).json()) as {
              reason?: string;
            }
          ).reason,
        { timeout: 60_000, interval: 1000 },
      )
      .toBe("addressChange");

    // Cards, from the completion page's links: 継続利用 and the new address on the card for both;
    // for 太郎 also a new 署名用電子証明書 (the move revoked his), with a new PIN.
    for (const [name, pin, newSignPin] of [
      [/墨田 太郎/, "1234", "Ueno2026"],
      [/墨田 花子/, "2345", undefined],
    ] as const) {
      await clerk.goto(completed);
      await clerk
        .getByRole("link", { name: new RegExp(`${name.source}さんのマイナンバーカードの手続`) })
        .click();
      await expectHeading(clerk, "マイナンバーカードの手続");
      await expectAccessible(clerk, "card processing");
      await cardOperation(clerk, /^継続利用/, name, { pin });
      await cardOperation(clerk, /^券面記載事項変更/, name, {});
      if (newSignPin) await cardOperation(clerk, /^署名用電子証明書の発行/, name, { pin, newSignPin });
    }

    // 住民票の写し of the new household at 台東区, downloaded as a PDF.
    await openRecordByCode(clerk, "23333241870", false, /住民票の写し等の交付/);
    await expect(clerk.locator("main").textContent()).resolves.toContain("台東区");
    await clerk.getByRole("link", { name: "住民票の写しを発行" }).click();
    await clerk.getByLabel("世帯全員", { exact: true }).check();
    await clerk.getByLabel("本人", { exact: true }).check();
    await clerk.getByRole("button", { name: "確認へ進む" }).click();
    await expectAccessible(clerk, "certificate confirmation");
    await expect(clerk.locator("#confirm-title").textContent()).resolves.toBe("発行内容の確認");
    const [download] = await Promise.all([
      clerk.waitForEvent("download"),
      clerk.getByRole("button", { name: /住民票の写しを発行する/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const pdf = Buffer.from(
      await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c)),
    );
    const text = pdfText(pdf).replace(/[ \t]+/g, " ");
    expect(text).toContain("墨田 太郎");
    expect(text).toContain("墨田 花子");
    expect(text).toMatch(/台東区上野三丁目5番2号|台東区上野3丁目5番2号/);
    expect(text).toContain("昭和60年4月12日"); // 太郎's birth date in 和暦
    const flat = text.replace(/\s+/g, "");
    expect(flat).toContain("東京都台東区長"); // certified by the destination's mayor
    expect(flat).toMatch(/令和\d+年\d+月\d+日/); // the date of issue in 和暦

    // 墨田区: the 転出 is confirmed (除票).
    const sumida = await page();
    await staffLogIn(sumida, "sumida-clerk", "sumida-clerk-pass");
    await expect
      .poll(
        async () => {
          await openRecordByCode(sumida, "23333241870", true);
          return sumida.locator("main").textContent();
        },
        { timeout: 90_000, interval: 2000 },
      )
      .toContain("除票");

    // The portal: 完了.
    await expectStatus(resident, statusUrl, "完了");
  }, 600_000);

  it("両国 みどり moves inside 墨田区 (転居予約 → 転居を確定 → 完了)", async () => {
    const resident = await page();
    await residentLogIn(resident, /両国 みどり/, "1234");
    const { statusUrl, receipt } = await file(resident, {
      kind: "relocation",
      town: "業平",
      chome: "2",
      block: "3",
      lot: "4",
      email: "midori@example.jp",
      signingPin: "Midori2026",
    });
    await expectStatus(resident, statusUrl, "来庁待ち");
    const clerk = await page();
    await staffLogIn(clerk, "sumida-clerk", "sumida-clerk-pass");
    await openReservation(clerk, receipt);
    await checkCard(clerk, /両国 みどり/, "1234");
    await confirmMove(clerk, /転居を確定する/);
    await expectStatus(resident, statusUrl, "完了");
  }, 600_000);

  it("浅草 次郎 moves from 台東区 into 墨田区 (台東区 accepts, the 墨田区 counter confirms, 台東区 shows the 除票)", async () => {
    const resident = await page();
    await residentLogIn(resident, /浅草 次郎/, "1234");
    const { statusUrl, receipt } = await file(resident, {
      kind: "moveOut",
      destination: "東京都墨田区",
      town: "京島",
      chome: "2",
      block: "1",
      lot: "1",
      email: "jiro@example.jp",
      signingPin: "Asakusa2026",
    });
    await expectStatus(resident, statusUrl, "来庁待ち");
    const clerk = await page();
    await staffLogIn(clerk, "sumida-clerk", "sumida-clerk-pass");
    await openReservation(clerk, receipt);
    await checkCard(clerk, /浅草 次郎/, "1234");
    await confirmMove(clerk, /転入を確定する/);
    const taito = await page();
    await staffLogIn(taito, "taito-clerk", "taito-clerk-pass");
    await expect
      .poll(
        async () => {
          await openRecordByCode(taito, "22120026716", true);
          return taito.locator("main").textContent();
        },
        { timeout: 90_000, interval: 2000 },
      )
      .toContain("除票");
    await expectStatus(resident, statusUrl, "完了");
  }, 600_000);
});

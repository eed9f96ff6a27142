import { describe, expect, it } from "vitest";
import { langFromCookie, translate, translateError } from "./i18n.js";
import { loader } from "./routes/language.js";

describe("Japanese first, with an English switch", () => {
  it("sets the language cookie and goes back to the page, never to another site", async () => {
    const go = async (query: string) =>
      (await loader({
        request: new Request(`http://portal.test/language?${query}`),
        params: {},
        context: { cspNonce: "" },
      })) as Response;
    const en = await go("to=en&back=%2Fmove-out%3Fdraft%3D1");
    expect(en.headers.get("location")).toBe("/move-out?draft=1");
    expect(en.headers.get("set-cookie")).toMatch(/^lang=en; Path=\//);
    for (const evil of ["https://evil.example/", "//evil.example/", "/\\evil.example"]) {
      expect((await go(`to=en&back=${encodeURIComponent(evil)}`)).headers.get("location")).toBe("/");
    }
    expect((await go("to=xx")).headers.get("set-cookie")).toMatch(/^lang=ja;/);
  });

  it("reads the cookie (Japanese by default) and translates field messages with their parameter", () => {
    expect(langFromCookie(null)).toBe("ja");
    expect(langFromCookie("a=b; lang=en")).toBe("en");
    expect(translate("en", "home.login")).toBe("Log in with your My Number Card");
    expect(translate("ja", "home.login")).toBe("マイナンバーカードでログイン");
    expect(translateError("ja", "visit.tooLate:2026-12-24")).toBe(
      "来庁予定日は引越しの日から14日以内（2026-12-24まで）にしてください。",
    );
    expect(translateError("en", "chome.tooLarge:7")).toBe("This town has chōme 1 to 7 only.");
  });
});

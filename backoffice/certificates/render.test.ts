import { describe, expect, it } from "vitest";
import type { ResidentState } from "../register/record.js";
import { certificateCode, normalizeCode, verifyCertificateCode } from "./code.js";
import {
  buildCertificateDocument,
  type CertificateInput,
  type CertificateItems,
  contentDigest,
} from "./document.js";
import { CertificateFontError, certificateFontPath, FONT_INSTALL_HINT, loadCertificateFont } from "./font.js";
import { CertificateRenderError, renderCertificatePdf } from "./render.js";
import { pdfFonts, pdfInfo, pdfText, qpdfCheck } from "./test-support.js";

// Hand-made records (not the world file): the renderer is pure and is tested on exact values.
function person(over: Partial<ResidentState> = {}): ResidentState {
  return {
    lgCode: "131075",
    householdId: "00000000-0000-4000-8000-000000000001",
    relationship: "世帯主",
    residentCode: "25369151960",
    myNumberCipher: null,
    myNumberIndex: null,
    familyName: "業平",
    givenName: "トメ",
    familyKana: "ナリヒラ",
    givenKana: "トメ",
    birthDate: "1935-02-11",
    sex: "female",
    nationality: "JP",
    honseki: "東京都墨田区業平四丁目7番地",
    honsekiHead: "業平トメ",
    foreigner: null,
    residentSince: "1960-04-01",
    addressSince: "1960-04-01",
    addressNotifiedOn: null,
    previousAddress: null,
    town: "業平",
    chome: 4,
    block: 7,
    lot: 11,
    building: null,
    addressLine: "東京都墨田区業平四丁目7番11号",
    qualifications: {},
    moveOut: null,
    status: "active",
    removalReason: null,
    removedOn: null,
    retainUntil: null,
    ...over,
  };
}

const NONE: CertificateItems = {
  householdHead: false,
  honseki: false,
  residentCode: false,
  myNumber: false,
  foreignerItems: false,
};

function input(over: Partial<CertificateInput> = {}): CertificateInput {
  return {
    kind: "residentCertificate",
    form: "individual",
    municipality: { lgCode: "131075", prefecture: "東京都", name: "墨田区" },
    issuedOn: "2026-11-26",
    certificateNumber: "131075-00000042",
    items: NONE,
    persons: [{ state: person() }],
    head: null,
    ...over,
  };
}

/** Without white space (ASCII or U+3000): pdftotext spaces columns as it likes. */
function sq(s: string): string {
  return s.replace(/[\s\u3000]+/g, "");
}

/** pdftotext's text in layout order (label and value on one line), without white space. */
function text(pdf: Uint8Array): string {
  return sq(pdfText(pdf));
}

const KEY = Buffer.alloc(32, 7);

async function render(over: Partial<CertificateInput> = {}) {
  const doc = buildCertificateDocument(input(over));
  const code = certificateCode(KEY, doc.certificateNumber, contentDigest(doc));
  return { doc, code, pdf: await renderCertificatePdf(doc, code) };
}

describe("certificate font", () => {
  it("finds IPAex, honours CERTIFICATE_FONT_FILE, and says what to install when it is missing", () => {
    expect(certificateFontPath({})).toMatch(/ipaex[mg]\.ttf$/);
    const gothic = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
    expect(certificateFontPath({ CERTIFICATE_FONT_FILE: gothic })).toBe(gothic);
    expect(() => certificateFontPath({ CERTIFICATE_FONT_FILE: "/nonexistent/font.ttf" })).toThrow(
      CertificateFontError,
    );
    try {
      certificateFontPath({ CERTIFICATE_FONT_FILE: "/nonexistent/font.ttf" });
    } catch (err) {
      expect((err as Error).message).toContain(FONT_INSTALL_HINT);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("parses the font once per process", () => {
    expect(loadCertificateFont()).toBe(loadCertificateFont());
  });
});

describe("住民票の写し PDF", () => {
  it("is a valid A4 PDF with the font embedded as a subset and no personal data in its metadata", async () => {
    const { pdf } = await render();
    expect(qpdfCheck(pdf)).toMatch(/No syntax or stream encoding errors/);
    const info = pdfInfo(pdf);
    expect(info.Pages).toBe("1");
    expect(info.Title).toBe("住民票の写し");
    expect(info["Page size"]).toMatch(/595\.2\d? x 841\.8\d? pts \(A4\)/);
    expect(JSON.stringify(info)).not.toContain("業平");
    const fonts = pdfFonts(pdf);
    expect(fonts).toMatch(/IPAex/);
    // Embedded with a ToUnicode map (pdffonts' "emb" and "uni" columns). pdf-lib names a subset
    // "IPAexMincho-1234" rather than with the "ABCDEF+" tag, so pdffonts' "sub" column says no:
    // the size shows the subset (the IPAex file is 6–8 MB).
    expect(fonts).toMatch(/IPAex\S*\s+CID TrueType\s+Identity-H\s+yes\s+\S+\s+yes/);
    expect(pdf.length).toBeLessThan(200_000);
  });

  it("prints the name, address and 和暦 dates, and extracts as text", async () => {
    const { pdf, code } = await render();
    const t = text(pdf);
    expect(t).toContain(sq("住民票の写し"));
    expect(t).toContain(sq("（世帯の一部）"));
    expect(t).toContain(sq("業平 トメ"));
    expect(t).toContain(sq("ナリヒラ トメ"));
    expect(t).toContain(sq("昭和10年2月11日"));
    expect(t).toContain(sq("東京都墨田区業平四丁目7番11号"));
    expect(t).toContain(sq("昭和35年4月1日"));
    expect(t).toContain(sq("令和8年11月26日"));
    expect(t).toContain(sq("東京都墨田区長"));
    expect(t).toContain(sq("131075-00000042"));
    expect(t).toContain(code);
    expect(t).toContain(sq("この写しは、住民票の原本と相違ないことを証明する。"));
  });

  it("omits 本籍・筆頭者, 続柄, 住民票コード and 個人番号 unless asked, and prints them when asked", async () => {
    const omitted = text((await render()).pdf);
    expect(omitted).not.toContain(sq("東京都墨田区業平四丁目7番地"));
    expect(omitted).not.toContain(sq("25369151960"));
    expect(omitted).not.toContain(sq("571840702550"));
    expect(omitted).not.toContain("続柄世帯主");
    expect(omitted).toContain(
      sq("省略した事項：世帯主の氏名及び続柄、本籍及び筆頭者、住民票コード、個人番号"),
    );

    const all = text(
      (
        await render({
          items: { ...NONE, householdHead: true, honseki: true, residentCode: true, myNumber: true },
          persons: [{ state: person(), myNumber: "571840702550" }],
          head: person(),
        })
      ).pdf,
    );
    expect(all).toContain(sq("本籍 東京都墨田区業平四丁目7番地"));
    expect(all).toContain(sq("筆頭者 業平トメ"));
    expect(all).toContain(sq("続柄 世帯主"));
    expect(all).toContain(sq("世帯主 業平 トメ"));
    expect(all).toContain(sq("住民票コード 25369151960"));
    expect(all).toContain(sq("個人番号 571840702550"));
    expect(all).not.toContain(sq("省略した事項"));
  });

  it("lists a household with its head first and says 世帯全員", async () => {
    const head = person({ familyName: "墨田", givenName: "太郎", familyKana: "スミダ", givenKana: "タロウ" });
    const wife = person({
      familyName: "墨田",
      givenName: "花子",
      familyKana: "スミダ",
      givenKana: "ハナコ",
      relationship: "妻",
      birthDate: "1987-09-03",
    });
    const { pdf } = await render({
      form: "household",
      items: { ...NONE, householdHead: true },
      persons: [{ state: head }, { state: wife }],
      head,
    });
    const t = text(pdf);
    expect(t).toContain(sq("（世帯全員）"));
    expect(t).toContain(sq("この写しは、世帯全員の住民票の原本と相違ないことを証明する。"));
    expect(t.indexOf("墨田太郎")).toBeLessThan(t.indexOf("墨田花子"));
    expect(t).toContain(sq("続柄 妻"));
    expect(t).toContain(sq("昭和62年9月3日"));
  });

  it("breaks a long household over pages and numbers them", async () => {
    const persons = Array.from({ length: 9 }, (_, i) => ({
      state: person({ givenName: `子${i + 1}`, relationship: i === 0 ? "世帯主" : "子" }),
    }));
    const { pdf } = await render({ form: "household", persons });
    const pages = Number(pdfInfo(pdf).Pages);
    expect(pages).toBeGreaterThan(1);
    const t = text(pdf);
    expect(t).toContain(sq(`${pages} / ${pages}`));
    for (let i = 1; i <= 9; i++) expect(t).toContain(sq(`業平 子${i}`));
  });

  it("prints a 除票の写し with the removal date and reason", async () => {
    const { pdf } = await render({
      kind: "removedRecordCertificate",
      persons: [
        {
          state: person({
            status: "removed",
            removalReason: "movedOut",
            removedOn: "2026-10-01",
            retainUntil: "2176-10-01",
            moveOut: {
              plannedOn: "2026-10-01",
              destinationLgCode: "131067",
              destinationAddress: "東京都台東区浅草二丁目3番1号",
            },
          }),
        },
      ],
    });
    const t = text(pdf);
    expect(pdfInfo(pdf).Title).toBe("除票の写し");
    expect(t).toContain(sq("除票の写し"));
    expect(t).toContain(sq("消除の年月日・事由 令和8年10月1日 転出 転出先 東京都台東区浅草二丁目3番1号"));
    expect(t).toContain(sq("この写しは、除票の原本と相違ないことを証明する。"));
  });

  it("prints a foreign resident's items by category only when asked", async () => {
    const nguyen = person({
      familyName: "NGUYEN",
      givenName: "VAN AN",
      familyKana: "グエン",
      givenKana: "ヴァン アン",
      nationality: "VN",
      honseki: null,
      honsekiHead: null,
      foreigner: {
        category: "中長期在留者",
        becameResidentOn: "2023-04-10",
        status: "技術・人文知識・国際業務",
        periodOfStay: "3年",
        periodExpiresOn: "2027-10-31",
        residenceCardNumber: "AB12345678CD",
        alias: "阮安",
      },
    });
    const without = text((await render({ persons: [{ state: nguyen }] })).pdf);
    expect(without).toContain(sq("NGUYEN VAN AN（通称 阮安）"));
    expect(without).not.toContain(sq("AB12345678CD"));
    expect(without).toContain(sq("国籍・地域等（第30条の45の事項）"));
    expect(without).not.toContain(sq("本籍及び筆頭者"));

    const withItems = text(
      (await render({ persons: [{ state: nguyen }], items: { ...NONE, foreignerItems: true } })).pdf,
    );
    expect(withItems).toContain(sq("国籍・地域 ベトナム"));
    expect(withItems).toContain(sq("第30条の45規定区分 中長期在留者"));
    expect(withItems).toContain(sq("在留資格 技術・人文知識・国際業務"));
    expect(withItems).toContain(sq("在留期間の満了の日 令和9年10月31日"));
    expect(withItems).toContain(sq("在留カード等の番号 AB12345678CD"));

    const special = person({
      nationality: "KR",
      honseki: null,
      honsekiHead: null,
      foreigner: {
        category: "特別永住者",
        becameResidentOn: "2012-07-09",
        specialPermanentResidentCertificateNumber: "SP0000001",
      },
    });
    const sp = text(
      (await render({ persons: [{ state: special }], items: { ...NONE, foreignerItems: true } })).pdf,
    );
    expect(sp).toContain(sq("特別永住者証明書の番号 SP0000001"));
    expect(sp).not.toContain(sq("在留資格"));
  });

  it("refuses a character the font cannot print, without naming it", async () => {
    const doc = buildCertificateDocument(input({ persons: [{ state: person({ familyName: "𠮷野" }) }] }));
    const err = await renderCertificatePdf(doc, "X").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateRenderError);
    expect((err as Error).message).toContain(sq("「氏名」"));
    expect((err as Error).message).not.toContain(sq("𠮷"));
  });

  it("prints a name with a variation selector in its base form", async () => {
    const { pdf } = await render({ persons: [{ state: person({ familyName: "葛\u{E0100}西" }) }] });
    expect(text(pdf)).toContain(sq("葛西 トメ"));
  });

  it("gives the same bytes for the same document (no clock)", async () => {
    const a = await render();
    const b = await render();
    expect(Buffer.from(a.pdf).equals(Buffer.from(b.pdf))).toBe(true);
  });
});

describe("verification code", () => {
  const doc = buildCertificateDocument(input());
  const digest = contentDigest(doc);
  const code = certificateCode(KEY, doc.certificateNumber, digest);

  it("verifies, however it is typed", () => {
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(verifyCertificateCode(KEY, { certificateNumber: doc.certificateNumber, digest, code })).toBe(true);
    const typed = code.toLowerCase().replace(/-/g, " ").replace(/0/g, "o");
    expect(normalizeCode(typed)).toBe(normalizeCode(code));
    expect(
      verifyCertificateCode(KEY, { certificateNumber: doc.certificateNumber, digest, code: typed }),
    ).toBe(true);
  });

  it("fails for a changed code, number, content or key", () => {
    const last = code.at(-1) === "0" ? "1" : "0";
    const tampered = code.slice(0, -1) + last;
    expect(
      verifyCertificateCode(KEY, { certificateNumber: doc.certificateNumber, digest, code: tampered }),
    ).toBe(false);
    expect(verifyCertificateCode(KEY, { certificateNumber: "131075-00000043", digest, code })).toBe(false);
    const other = contentDigest(buildCertificateDocument(input({ issuedOn: "2026-11-27" })));
    expect(
      verifyCertificateCode(KEY, { certificateNumber: doc.certificateNumber, digest: other, code }),
    ).toBe(false);
    expect(
      verifyCertificateCode(Buffer.alloc(32, 8), { certificateNumber: doc.certificateNumber, digest, code }),
    ).toBe(false);
    expect(verifyCertificateCode(KEY, { certificateNumber: doc.certificateNumber, digest, code: "" })).toBe(
      false,
    );
  });
});

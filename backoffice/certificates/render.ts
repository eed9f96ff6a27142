/**
 * Draws a CertificateDocument as an A4 PDF with the certificate font embedded as a subset.
 * Pure: document in, bytes out (no clock: the PDF's dates are the date of issue, so the same
 * document gives the same bytes).
 *
 * A character the font has no glyph for (外字, e.g. 𠮷 in IPAex) would silently vanish from the
 * PDF, so it is refused with CertificateRenderError naming the item, never the character: such a
 * certificate is made by hand. Variation selectors (IVS) are dropped: IPAex prints the base form.
 */
import { deflateSync } from "node:zlib";
import { PDFContext, PDFDocument, type PDFFont, type PDFPage, rgb, typedArrayFor } from "pdf-lib";
import type { CertificateDocument, CertificateRow } from "./document.js";
import { type CertificateFont, loadCertificateFont } from "./font.js";

/**
 * pdf-lib compresses the embedded font subset (the largest stream of a certificate) with pako, a
 * JavaScript zlib; node:zlib writes the same FlateDecode format natively in a fraction of the time.
 * Installed once, process-wide, for every pdf-lib document of this process.
 */
let nativeDeflate = false;
function installNativeDeflate(): void {
  if (nativeDeflate) return;
  nativeDeflate = true;
  PDFContext.prototype.flateStream = function flateStream(
    this: PDFContext,
    contents: string | Uint8Array,
    dict: Parameters<PDFContext["flateStream"]>[1] = {},
  ) {
    return this.stream(deflateSync(typedArrayFor(contents)), { ...dict, Filter: "FlateDecode" });
  };
}

export class CertificateRenderError extends Error {
  override name = "CertificateRenderError";
}

const PAGE_WIDTH = 595.28; // A4 in points
const PAGE_HEIGHT = 841.89;
const MARGIN_X = 50;
const TOP = PAGE_HEIGHT - 50;
const BOTTOM = 70;
const LABEL_WIDTH = 130;
const VALUE_X = MARGIN_X + LABEL_WIDTH;
const VALUE_WIDTH = PAGE_WIDTH - MARGIN_X - VALUE_X;
const TEXT_SIZE = 10.5;
const LABEL_SIZE = 9;
const LINE = 15;
const GREY = rgb(0.35, 0.35, 0.35);
const RULE = rgb(0.6, 0.6, 0.6);

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** The text as it can be printed: variation selectors dropped; throws when a glyph is missing. */
function printable(font: CertificateFont, text: string, what: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isVariationSelector(cp)) continue;
    if (cp !== 0x20 && cp !== 0x3000 && !font.hasGlyph(cp)) {
      throw new CertificateRenderError(
        `「${what}」に証明書用フォントで印字できない文字（外字）があります。この証明書は手作業で作成してください`,
      );
    }
    out += ch;
  }
  return out;
}

/**
 * Advance widths at size 1, per character and per font file: measuring a string through pdf-lib
 * runs fontkit's layout each time, which made wrapping the slowest part of a certificate.
 * Japanese text has no kerning to lose by adding widths up.
 */
const advanceCache = new Map<string, Map<string, number>>();

function measurer(font: CertificateFont, pdfFont: PDFFont): (text: string, size: number) => number {
  let widths = advanceCache.get(font.path);
  if (!widths) {
    widths = new Map();
    advanceCache.set(font.path, widths);
  }
  const cache = widths;
  return (text, size) => {
    let w = 0;
    for (const ch of text) {
      let a = cache.get(ch);
      if (a === undefined) {
        a = pdfFont.widthOfTextAtSize(ch, 1);
        cache.set(ch, a);
      }
      w += a;
    }
    return w * size;
  };
}

type Measure = (text: string, size: number) => number;

/** Splits text into lines no wider than `width` (by character; Japanese has no spaces to break at). */
function wrap(measure: Measure, text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  let lineWidth = 0;
  for (const ch of text) {
    const w = measure(ch, size);
    if (line !== "" && lineWidth + w > width) {
      lines.push(line);
      line = ch;
      lineWidth = w;
    } else {
      line += ch;
      lineWidth += w;
    }
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

/** A PDF date for the date of issue (midnight, Japan time). */
function issueDate(isoDate: string): Date {
  return new Date(`${isoDate}T00:00:00+09:00`);
}

export async function renderCertificatePdf(
  doc: CertificateDocument,
  verificationCode: string,
  font: CertificateFont = loadCertificateFont(),
): Promise<Uint8Array> {
  installNativeDeflate();
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.registerFontkit(font.fontkit);
  const pdfFont = await pdf.embedFont(font.bytes, { subset: true });
  const measure = measurer(font, pdfFont);
  // Metadata carries no personal data: only the kind of certificate and the issuer.
  pdf.setTitle(doc.title);
  pdf.setAuthor(`${doc.municipality.prefecture}${doc.municipality.name}`);
  pdf.setLanguage("ja-JP");
  pdf.setCreator("住民記録プラットフォーム");
  pdf.setProducer("住民記録プラットフォーム (pdf-lib)");
  pdf.setCreationDate(issueDate(doc.issuedOn));
  pdf.setModificationDate(issueDate(doc.issuedOn));

  const pages: PDFPage[] = [];
  let page!: PDFPage;
  let y = 0;
  const newPage = () => {
    page = pdf.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    pages.push(page);
    y = TOP;
  };
  const ensure = (height: number) => {
    if (y - height < BOTTOM) newPage();
  };
  const text = (s: string, x: number, size: number, color = rgb(0, 0, 0)) => {
    page.drawText(s, { x, y, size, font: pdfFont, color });
  };
  const centred = (s: string, size: number) => {
    text(s, (PAGE_WIDTH - measure(s, size)) / 2, size);
  };
  const rule = () => {
    page.drawLine({
      start: { x: MARGIN_X, y: y + LINE - 4 },
      end: { x: PAGE_WIDTH - MARGIN_X, y: y + LINE - 4 },
      thickness: 0.5,
      color: RULE,
    });
  };
  const row = (r: CertificateRow) => {
    const label = printable(font, r.label, r.label);
    const lines = wrap(measure, printable(font, r.value, r.label), TEXT_SIZE, VALUE_WIDTH);
    ensure(lines.length * LINE);
    text(label, MARGIN_X, LABEL_SIZE, GREY);
    for (const line of lines) {
      text(line, VALUE_X, TEXT_SIZE);
      y -= LINE;
    }
  };

  newPage();
  centred(printable(font, doc.title, "表題"), 20);
  y -= 22;
  if (doc.scope) {
    centred(doc.scope, 11);
    y -= 10;
  }
  y -= 12;
  for (const r of doc.header) row(r);

  doc.persons.forEach((person, i) => {
    y -= 6;
    ensure(LINE * Math.min(person.rows.length + 1, 6));
    rule();
    text(`${i + 1}`, MARGIN_X - 18, LABEL_SIZE, GREY);
    for (const r of person.rows) row(r);
  });
  y -= 6;
  ensure(LINE);
  rule();

  const closing: string[] = [];
  if (doc.omitted.length > 0) closing.push(`省略した事項：${doc.omitted.join("、")}`);
  for (const line of closing.flatMap((s) => wrap(measure, s, LABEL_SIZE, PAGE_WIDTH - 2 * MARGIN_X))) {
    ensure(LINE);
    text(line, MARGIN_X, LABEL_SIZE, GREY);
    y -= LINE;
  }
  ensure(LINE * 7);
  y -= LINE;
  text(doc.statement, MARGIN_X, TEXT_SIZE);
  y -= LINE * 2;
  text(doc.issuedOnText, MARGIN_X + 20, TEXT_SIZE);
  y -= LINE * 2;
  const mayor = printable(font, doc.mayorLine, "市区町村長");
  text(mayor, PAGE_WIDTH - MARGIN_X - measure(mayor, 14), 14);
  y -= LINE * 2;
  text(
    `照合番号は${doc.municipality.name}の窓口で、証明書番号とあわせて真正性を確認できます。`,
    MARGIN_X,
    LABEL_SIZE,
    GREY,
  );

  const footer = `証明書番号　${doc.certificateNumber}　　照合番号　${verificationCode}`;
  pages.forEach((p, i) => {
    const pageNo = `${i + 1} / ${pages.length}`;
    p.drawText(footer, { x: MARGIN_X, y: 40, size: 9, font: pdfFont });
    p.drawText(pageNo, {
      x: PAGE_WIDTH - MARGIN_X - measure(pageNo, 9),
      y: 40,
      size: 9,
      font: pdfFont,
    });
  });
  // Without object streams: pdf-lib would deflate them with pako too, for a few hundred bytes.
  return pdf.save({ useObjectStreams: false });
}

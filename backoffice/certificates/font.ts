/**
 * The Japanese font embedded in certificates: IPAex (Debian/Ubuntu packages fonts-ipaexfont-mincho
 * and fonts-ipaexfont-gothic), or the file named by CERTIFICATE_FONT_FILE. pdf-lib subsets it with
 * @pdf-lib/fontkit so that a certificate carries only the glyphs it prints, and the text stays
 * extractable (ToUnicode map); other CJK fonts tried here did not subset correctly (issue 6).
 *
 * The font file is read and parsed once per process: pdf-lib would parse the 8 MB file for every
 * document, so the fontkit handed to each document returns the parsed font from the cache.
 */
import { existsSync, readFileSync } from "node:fs";
import fontkit from "@pdf-lib/fontkit";
import type { PDFDocument } from "pdf-lib";

type Fontkit = Parameters<PDFDocument["registerFontkit"]>[0];

export const IPAEX_MINCHO = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf";
export const IPAEX_GOTHIC = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
export const FONT_INSTALL_HINT = "apt-get install fonts-ipaexfont-mincho fonts-ipaexfont-gothic";

export class CertificateFontError extends Error {
  override name = "CertificateFontError";
}

/**
 * The font file certificates use: CERTIFICATE_FONT_FILE when set (it must exist), else IPAex
 * Mincho, else IPAex Gothic. Throws a one-line message saying what to install.
 */
export function certificateFontPath(env: Record<string, string | undefined> = process.env): string {
  const configured = env.CERTIFICATE_FONT_FILE?.trim();
  if (configured) {
    if (!existsSync(configured)) {
      throw new CertificateFontError(
        `CERTIFICATE_FONT_FILE: ${configured} がありません / not found (unset it to use IPAex: ${FONT_INSTALL_HINT})`,
      );
    }
    return configured;
  }
  for (const candidate of [IPAEX_MINCHO, IPAEX_GOTHIC]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new CertificateFontError(
    `証明書用の日本語フォント（IPAex）がありません / IPAex font missing: ${FONT_INSTALL_HINT} (or set CERTIFICATE_FONT_FILE)`,
  );
}

/** Call at start-up: throws CertificateFontError (one line) when no font can be found. */
export function assertCertificateFont(env?: Record<string, string | undefined>): void {
  certificateFontPath(env);
}

type ParsedFont = ReturnType<Fontkit["create"]>;

export interface CertificateFont {
  path: string;
  bytes: Uint8Array;
  /** A fontkit for pdf-lib's registerFontkit that hands back the font parsed once. */
  fontkit: Fontkit;
  /** True when the font has a glyph for the code point (else the character cannot be printed). */
  hasGlyph(codePoint: number): boolean;
}

const cache = new Map<string, CertificateFont>();

const LAYOUT_CACHE_LIMIT = 20_000;

/**
 * The parsed font lives for the whole process, so work fontkit repeats for every document is kept:
 * - `layout` (OpenType shaping; pdf-lib calls it for every string it draws or measures) is
 *   memoized per string when called without features, as pdf-lib calls it; the runs are only read
 *   (glyph ids and advances);
 * - a glyph's decoded outline (`_decode`, which subsetting calls for every glyph of every
 *   document only to find composite glyphs) is kept on the glyph, which fontkit already caches.
 * Measured with the certificate bench: this took the renderer's CPU time per household copy from
 * about 28 ms to the figure the bench prints (docs/decisions/012-certificates.md).
 */
function memoize(parsed: ParsedFont): void {
  const font = parsed as unknown as {
    layout: (text: string, ...rest: unknown[]) => unknown;
    getGlyph: (id: number, chars?: unknown) => { _decode: () => unknown; __decodeMemo?: boolean } | null;
  };
  const layout = font.layout.bind(font);
  const runs = new Map<string, unknown>();
  font.layout = (text: string, ...rest: unknown[]) => {
    if (rest.some((r) => r !== undefined)) return layout(text, ...rest);
    let run = runs.get(text);
    if (run === undefined) {
      if (runs.size >= LAYOUT_CACHE_LIMIT) runs.clear();
      run = layout(text);
      runs.set(text, run);
    }
    return run;
  };
  const getGlyph = font.getGlyph.bind(font);
  font.getGlyph = (id, chars) => {
    const glyph = getGlyph(id, chars);
    if (glyph && !glyph.__decodeMemo) {
      const decode = glyph._decode.bind(glyph);
      let decoded: { value: unknown } | undefined;
      glyph._decode = () => {
        decoded ??= { value: decode() };
        return decoded.value;
      };
      glyph.__decodeMemo = true;
    }
    return glyph;
  };
}

/** The certificate font, read and parsed once per process (per path). */
export function loadCertificateFont(path: string = certificateFontPath()): CertificateFont {
  const cached = cache.get(path);
  if (cached) return cached;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new CertificateFontError(
      `証明書用フォント ${path} を読めません (${(err as NodeJS.ErrnoException).code ?? "read error"}): ${FONT_INSTALL_HINT}`,
    );
  }
  let parsed: ParsedFont;
  try {
    parsed = fontkit.create(bytes);
  } catch {
    throw new CertificateFontError(`証明書用フォント ${path} は TrueType/OpenType として読めません`);
  }
  memoize(parsed);
  const font: CertificateFont = {
    path,
    bytes,
    fontkit: { create: () => parsed } as Fontkit,
    hasGlyph: (cp) => parsed.hasGlyphForCodePoint(cp),
  };
  cache.set(path, font);
  return font;
}

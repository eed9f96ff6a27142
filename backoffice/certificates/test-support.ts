/**
 * PDF checks for the certificate tests, with the tools CI installs (poppler-utils, qpdf):
 * `qpdf --check`, `pdfinfo` and `pdftotext`. Each runs on a temporary copy of the bytes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

function withFile<T>(pdf: Uint8Array, run: (file: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), "juki-cert-"));
  const file = path.join(dir, "certificate.pdf");
  try {
    writeFileSync(file, pdf);
    return run(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** qpdf --check: throws (non-zero exit) when the file is not a valid PDF; returns its report. */
export function qpdfCheck(pdf: Uint8Array): string {
  return withFile(pdf, (file) => execFileSync("qpdf", ["--check", file], { encoding: "utf8" }));
}

/** pdfinfo's fields (Title, Pages, Page size, …). */
export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  const out = withFile(pdf, (file) => execFileSync("pdfinfo", [file], { encoding: "utf8" }));
  const info: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) info[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return info;
}

/** The text as pdftotext extracts it (UTF-8, physical layout: a label and its value on one line). */
export function pdfText(pdf: Uint8Array): string {
  return withFile(pdf, (file) =>
    execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"], { encoding: "utf8" }),
  );
}

/** pdffonts' listing: which fonts are embedded and whether as a subset. */
export function pdfFonts(pdf: Uint8Array): string {
  return withFile(pdf, (file) => execFileSync("pdffonts", [file], { encoding: "utf8" }));
}

import type { ServerResponse } from "node:http";

/**
 * The card IdP's own pages: plain HTML forms (no script at all, so they work without
 * JavaScript and under a strict CSP), Japanese, with labels and errors tied to their fields.
 */

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Tagged template that escapes every interpolation unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(value);
}

export const STYLESHEET_PATH = "/assets/card-idp.css";

export const stylesheet = `
:root { color-scheme: light; font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif; }
body { margin: 0; background: #f4f6f8; color: #1a1a1a; line-height: 1.7; }
header { background: #00418c; color: #fff; padding: .75rem 1.25rem; }
header p { margin: 0; font-weight: bold; }
main { max-width: 40rem; margin: 1.5rem auto; background: #fff; padding: 1.5rem; border-radius: .5rem; }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; font-weight: bold; margin-top: 1rem; }
input[type=password], input[type=text] { font-size: 1.2rem; padding: .5rem; width: 100%; max-width: 20rem; box-sizing: border-box; border: 2px solid #555; border-radius: .25rem; }
input:focus, button:focus, a:focus { outline: 3px solid #f5a300; outline-offset: 2px; }
button { font-size: 1rem; padding: .6rem 1.2rem; margin: 1rem .5rem 0 0; border-radius: .25rem; border: 2px solid #00418c; background: #00418c; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #00418c; }
ul.cards { list-style: none; padding: 0; }
ul.cards li { margin: .5rem 0; }
ul.cards button { width: 100%; text-align: left; background: #fff; color: #1a1a1a; border-color: #888; margin: 0; }
.hint { color: #444; font-size: .95rem; }
.error { color: #b00020; font-weight: bold; }
.notice { border-left: 4px solid #b00020; padding: .5rem 1rem; background: #fff0f0; }
.digest { font-family: ui-monospace, monospace; word-break: break-all; background: #f4f6f8; padding: .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; }
`;

export interface PageOptions {
  title: string;
  body: Html;
  status?: number;
  /** Origins the page's forms may end up at after redirects (form-action). */
  formTargets?: string[];
}

export function page(opts: PageOptions): string {
  return `<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} — マイナンバーカード認証（模擬）</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header><p>マイナンバーカード認証（模擬・デジタル認証アプリの代わり）</p></header>
<main>
<h1>${escapeHtml(opts.title)}</h1>
${opts.body.value}
</main>
</body>
</html>`;
}

export function securityHeaders(formTargets: string[] = []): Record<string, string> {
  const targets = ["'self'", ...formTargets].join(" ");
  return {
    "content-security-policy": `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
  };
}

export function sendPage(res: ServerResponse, opts: PageOptions): void {
  const body = page(opts);
  res.writeHead(opts.status ?? 200, {
    "content-type": "text/html; charset=utf-8",
    ...securityHeaders(opts.formTargets),
  });
  res.end(body);
}

/** A page for an error the resident cannot fix here (expired step, unknown request, …). */
export function errorBody(message: string, detail?: string): Html {
  return html`<p class="notice" role="alert">${message}</p>${detail ? html`<p class="hint">${detail}</p>` : ""}`;
}

import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceContext } from "./nonce";

// With Single Fetch, Remix rejects pending loader promises after this long.
export const streamTimeout = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  // Login and signing forms end in a redirect to the card IdP: form-action must allow its origin.
  const idpOrigin = loadContext.portal?.cardIdp.origin;
  setSecurityHeaders(responseHeaders, nonce, idpOrigin ? [idpOrigin] : []);
  // Crawlers and SPA mode get the whole document at once; browsers get it streamed.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const ready = () => {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set("Content-Type", "text/html; charset=utf-8");
      resolve(
        new Response(createReadableStreamFromReadable(body), {
          headers: responseHeaders,
          status: responseStatusCode,
        }),
      );
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        onShellReady() {
          if (!waitForAll) ready();
        },
        onAllReady() {
          clearTimeout(abortTimer);
          if (waitForAll) ready();
        },
        onShellError(error: unknown) {
          clearTimeout(abortTimer);
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors before the shell is ready are logged by Remix when the promise rejects.
          if (shellRendered) {
            console.error(error);
          }
        },
      },
    );
    // Give Remix's own streamTimeout a head start so it can reject promises cleanly first.
    const abortTimer = setTimeout(abort, streamTimeout + 1_000);
  });
}

function setSecurityHeaders(headers: Headers, nonce: string, formTargets: string[]) {
  // Only Remix's and React's own inline scripts run, each carrying the per-request nonce.
  // form-action includes the card IdP: a form submitted here may be redirected there.
  headers.set(
    "Content-Security-Policy",
    [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      ["form-action 'self'", ...formTargets].join(" "),
      "frame-ancestors 'none'",
    ].join("; "),
  );
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with a plain
  // form POST, which Remix's own CSRF check (Origin vs Host) rightly refuses. Other sites (the
  // card IdP included) still never see a portal URL.
  headers.set("Referrer-Policy", "same-origin");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  // Pages show personal data to logged-in residents; never let any cache keep them.
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
}

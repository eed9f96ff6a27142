import { PassThrough } from "node:stream";
import type { EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import type { Context } from "react";
import { renderToPipeableStream } from "react-dom/server";

/**
 * The document request of both Remix apps (portal and back office): the page streamed with
 * the per-request CSP nonce on every script, and the security headers every page carries.
 * Each app's entry.server.tsx only says what differs (where its forms may be sent).
 */

// With Single Fetch, Remix rejects pending loader promises after this long.
export const streamTimeout = 5_000;

export interface DocumentOptions {
  nonce: string;
  /** The app's React context that hands the nonce to its <Scripts>. */
  nonceContext: Context<string | undefined>;
  /** Origins a form may be submitted (or redirected) to besides our own, e.g. an IdP. */
  formTargets?: string[];
}

export function renderDocument(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  opts: DocumentOptions,
): Promise<Response> {
  const { nonce, nonceContext: NonceContext } = opts;
  setSecurityHeaders(responseHeaders, nonce, opts.formTargets ?? []);
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
  // form POST, which Remix's own CSRF check (Origin vs Host) rightly refuses. Other sites (an
  // IdP included) still never see one of our URLs.
  headers.set("Referrer-Policy", "same-origin");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  // Every page may show personal or register data; never let any cache keep it.
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
}

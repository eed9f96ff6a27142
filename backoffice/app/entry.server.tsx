import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { renderDocument } from "../../lib/document.server";
import { NonceContext } from "./nonce";

export { streamTimeout } from "../../lib/document.server";

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // form-action must grow to include the staff IdP's origin once login posts there.
  return renderDocument(request, responseStatusCode, responseHeaders, remixContext, {
    nonce: loadContext.cspNonce,
    nonceContext: NonceContext,
  });
}

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
  // The login form ends in a redirect to the staff IdP: form-action must allow its origin.
  const idpOrigin = loadContext.backoffice?.staffIdp.origin;
  return renderDocument(request, responseStatusCode, responseHeaders, remixContext, {
    nonce: loadContext.cspNonce,
    nonceContext: NonceContext,
    formTargets: idpOrigin ? [idpOrigin] : [],
  });
}

import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { isLoginError, LoginError } from "../../auth/card-idp.server";
import { allowLoginAttempt } from "../../auth/rate-limit.server";
import { clearLoginCookie, createSession, readPendingLogin } from "../../auth/session.server";
import { services } from "../../services.server";

/**
 * The card IdP sends the browser back here. Everything is checked (state, PKCE, the ID token's
 * signature, alg, iss, aud, exp, nonce) before a session exists; a refusal is logged with its
 * reason (never a claim or token) and the resident starts again.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", clearLoginCookie(portal));
  if (!(await allowLoginAttempt(portal, context.clientAddress ?? "unknown"))) {
    portal.logger.warn({ reason: "rateLimited" }, "login refused");
    return redirect("/?login=limited", { headers });
  }
  const pending = await readPendingLogin(portal, request);
  // The IdP answers at the registered redirect URI; rebuild it from configuration, not from Host.
  const callbackUrl = new URL(`${portal.env.PORTAL_PUBLIC_URL}/auth/callback${new URL(request.url).search}`);
  try {
    if (!pending) throw new LoginError("noPendingLogin", "no login in progress in this browser");
    const login = await portal.cardIdp.completeLogin(callbackUrl, pending);
    const { setCookie } = await createSession(portal, request, login);
    headers.append("Set-Cookie", setCookie);
    portal.logger.info("resident logged in");
    return redirect("/", { headers });
  } catch (err) {
    if (!isLoginError(err)) throw err;
    portal.logger.warn({ reason: err.code, err: err.message }, "login refused");
    const outcome =
      err.code === "providerError" && err.providerError === "access_denied" ? "cancelled" : "failed";
    return redirect(`/?login=${outcome}`, { headers });
  }
}

import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { isLoginError } from "../../auth/card-idp.server";
import { allowLoginAttempt } from "../../auth/rate-limit.server";
import { pendingLoginCookie } from "../../auth/session.server";
import { services } from "../../services.server";

/**
 * 「マイナンバーカードでログイン」: a GET (a link-like form, so it works without JavaScript) that
 * sends the browser to the card IdP with PKCE, state and nonce; they wait in an encrypted cookie.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const portal = services(context);
  if (!(await allowLoginAttempt(portal, context.clientAddress ?? "unknown"))) {
    portal.logger.warn({ reason: "rateLimited" }, "login refused");
    return redirect("/?login=limited", { headers: { "Cache-Control": "no-store" } });
  }
  try {
    const { url, pending } = await portal.cardIdp.startLogin();
    return redirect(url.href, {
      headers: { "Set-Cookie": await pendingLoginCookie(portal, pending), "Cache-Control": "no-store" },
    });
  } catch (err) {
    const reason = isLoginError(err) ? err.code : "providerUnavailable";
    portal.logger.warn(
      { reason, err: err instanceof Error ? err.message : String(err) },
      "login cannot start",
    );
    return redirect("/?login=unavailable", { headers: { "Cache-Control": "no-store" } });
  }
}

import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { safeNext, sessionManager } from "../../auth/session.server";
import { isLoginError } from "../../auth/staff-idp.server";
import { services } from "../../services.server";

/**
 * 「職員ログイン」: a GET form that sends the browser to the staff IdP with PKCE, state and nonce;
 * they wait (with the page to return to) in an encrypted, short-lived cookie.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const office = services(context);
  const next = safeNext(new URL(request.url).searchParams.get("next"));
  try {
    const { url, pending } = await office.staffIdp.startLogin();
    return redirect(url.href, {
      headers: {
        "Set-Cookie": await sessionManager(office).pendingLoginCookie({ ...pending, returnTo: next }),
        "Cache-Control": "no-store",
      },
    });
  } catch (err) {
    const reason = isLoginError(err) ? err.code : "providerUnavailable";
    office.logger.warn(
      { reason, err: err instanceof Error ? err.message : String(err) },
      "staff login cannot start",
    );
    return redirect("/login?login=unavailable", { headers: { "Cache-Control": "no-store" } });
  }
}

import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { safeNext, sessionManager } from "../../auth/session.server";
import { isLoginError, LoginError } from "../../auth/staff-idp.server";
import { services } from "../../services.server";

/**
 * The staff IdP sends the browser back here. State, PKCE and the ID token (signature, alg, iss,
 * aud, exp, nonce) are checked, and the staff member must be on the world file's staff list,
 * before a session exists; a refusal is logged with its reason only.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const office = services(context);
  const sessions = sessionManager(office);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", sessions.clearLoginCookie());
  const pending = await sessions.readPendingLogin(request);
  // The IdP answers at the registered redirect URI; rebuild it from configuration, not from Host.
  const callbackUrl = new URL(
    `${office.env.BACKOFFICE_PUBLIC_URL}/auth/callback${new URL(request.url).search}`,
  );
  try {
    if (!pending) throw new LoginError("noPendingLogin", "no login in progress in this browser");
    const login = await office.staffIdp.completeLogin(callbackUrl, pending, office.world.staff);
    const { setCookie } = await sessions.create(request, {
      staffId: login.staffId,
      lgCode: login.lgCode,
      name: login.name,
      roles: login.roles,
      idToken: login.idToken,
    });
    headers.append("Set-Cookie", setCookie);
    office.logger.info({ staffId: login.staffId, lgCode: login.lgCode }, "staff logged in");
    return redirect(safeNext(pending.returnTo), { headers });
  } catch (err) {
    if (!isLoginError(err)) throw err;
    office.logger.warn({ reason: err.code, err: err.message }, "staff login refused");
    const outcome =
      err.code === "providerError" && err.providerError === "access_denied"
        ? "cancelled"
        : err.code === "accountRefused"
          ? "refused"
          : err.code === "providerUnavailable"
            ? "unavailable"
            : "failed";
    return redirect(`/login?login=${outcome}`, { headers });
  }
}

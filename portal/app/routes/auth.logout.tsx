import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, destroySession, getSession } from "../../auth/session.server";
import { services } from "../../services.server";

export async function loader() {
  return redirect("/");
}

/**
 * Logout ends the session on the server (the row is deleted, so the old cookie is worthless even
 * if copied), clears the cookie, then asks the IdP to end its side too when it offers that.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const portal = services(context);
  const session = await getSession(portal, request);
  if (!session) return redirect("/", { headers: { "Cache-Control": "no-store" } });
  assertCsrf(session, await request.formData());
  const setCookie = await destroySession(portal, request);
  portal.logger.info("resident logged out");
  const endSession = await portal.cardIdp.endSessionUrl(session.idToken, `${portal.env.PORTAL_PUBLIC_URL}/`);
  return redirect(endSession?.href ?? "/?login=loggedOut", {
    headers: { "Set-Cookie": setCookie, "Cache-Control": "no-store" },
  });
}

import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, getStaff, sessionManager } from "../../auth/session.server";
import { services } from "../../services.server";

export async function loader() {
  return redirect("/");
}

/**
 * Logout ends the session on the server (the row is deleted, so the old cookie is worthless even
 * if copied), clears the cookie, then asks the IdP to end its side too when it offers that.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await getStaff(office, request);
  if (!staff) return redirect("/login?login=loggedOut", { headers: { "Cache-Control": "no-store" } });
  assertCsrf(staff, await request.formData());
  const setCookie = await sessionManager(office).destroy(request);
  office.logger.info({ staffId: staff.staffId }, "staff logged out");
  const endSession = await office.staffIdp.endSessionUrl(
    staff.idToken,
    `${office.env.BACKOFFICE_PUBLIC_URL}/`,
  );
  return redirect(endSession?.href ?? "/login?login=loggedOut", {
    headers: { "Set-Cookie": setCookie, "Cache-Control": "no-store" },
  });
}

import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { completeSigning } from "../../applications/applications.server";
import { requireSession } from "../../auth/session.server";
import { services } from "../../services.server";

/**
 * Back from the IdP's signing page (?request_id=…). The signature is fetched server to server and
 * checked against this holder and this draft before anything is stored; then the status page.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const id = params.id ?? "";
  const result = await completeSigning(portal, session, id, new URL(request.url).searchParams);
  const headers = { "Cache-Control": "no-store" };
  switch (result.kind) {
    case "submitted":
      return redirect(`/applications/${id}?submitted=1`, { headers });
    case "alreadySubmitted":
      return redirect(`/applications/${id}`, { headers });
    case "cancelled":
      return redirect(`/applications/${id}/review?signing=cancelled`, { headers });
    case "blocked":
      return redirect(`/applications/${id}/review?signing=blocked&block=${result.block}`, { headers });
    case "failed":
      portal.logger.warn({ applicationId: id, reason: result.reason }, "signing not completed");
      return redirect(`/applications/${id}/review?signing=failed`, { headers });
    case "notFound":
      throw new Response("Not Found", { status: 404 });
  }
}

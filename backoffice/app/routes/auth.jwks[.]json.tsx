import type { LoaderFunctionArgs } from "@remix-run/node";
import { services } from "../../services.server";

/** The public half of the back office's client key: the IdP checks our private_key_jwt with it. */
export async function loader({ context }: LoaderFunctionArgs) {
  return Response.json(services(context).staffIdp.jwks, {
    headers: { "Cache-Control": "public, max-age=300" },
  });
}

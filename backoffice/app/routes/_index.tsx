import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { requireStaff } from "../../auth/session.server";
import { services } from "../../services.server";

/** The start page is each role's first screen. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(services(context), request);
  if (staff.roles.includes("clerk") || staff.roles.includes("supervisor")) return redirect("/reservations");
  if (staff.roles.includes("auditor")) return redirect("/audit");
  if (staff.roles.includes("admin")) return redirect("/admin/queues");
  throw new Response("この職員には役割が割り当てられていません。システム管理者に連絡してください。", {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

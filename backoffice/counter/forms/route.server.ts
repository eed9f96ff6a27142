/**
 * Loader and action shared by the counter change pages (routes/changes.*.tsx stay thin).
 */
import { type ActionFunctionArgs, data, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, commandContext, forbidden, requireStaff } from "../../auth/session.server.js";
import { ForbiddenError } from "../../register/authorization.js";
import { services } from "../../services.server.js";
import type { ChangeFormKind } from "./kinds.js";
import { formContext, newRequestKey, type StaffCommandContext, submitChange } from "./submit.server.js";
import type { ChangeFormData } from "./ui.js";

/** Who may open and send the counter forms (the register decides again per command). */
export const COUNTER_ROLES = ["clerk", "supervisor"] as const;

export async function staffContext(
  args: LoaderFunctionArgs,
  roles: readonly ("clerk" | "supervisor" | "auditor" | "admin")[],
) {
  const office = services(args.context);
  const staff = await requireStaff(office, args.request, { roles });
  return { office, staff, ctx: commandContext(office, staff) as StaffCommandContext };
}

/** The form page: a new request key each time it is shown, today, the municipality's towns. */
export async function changeFormLoader(
  kind: ChangeFormKind,
  args: LoaderFunctionArgs,
  defaultValue?: Record<string, unknown>,
): Promise<ChangeFormData> {
  const { staff, ctx } = await staffContext(args, COUNTER_ROLES);
  const fc = await formContext(ctx);
  return {
    kind,
    csrf: staff.csrfToken,
    requestKey: newRequestKey(),
    today: fc.today,
    towns: fc.towns,
    ...(defaultValue ? { defaultValue } : {}),
  };
}

/** Runs the form; a refusal by role or municipality is a 403 (audited by the register). */
export async function changeFormAction(kind: ChangeFormKind, args: ActionFunctionArgs) {
  const { staff, ctx } = await staffContext(args, COUNTER_ROLES);
  const formData = await args.request.formData();
  assertCsrf(staff, formData);
  try {
    const outcome = await submitChange(ctx, kind, formData);
    switch (outcome.status) {
      case "invalid":
        return data(outcome.reply, { status: outcome.reply.status === "error" ? 400 : 200 });
      case "done":
        return redirect(`/changes/done/${encodeURIComponent(outcome.requestKey)}`);
      case "requested":
        return redirect(`/changes/requested/${outcome.approvalId}`);
    }
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    throw err;
  }
}

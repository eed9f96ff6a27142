import { parseWithZod } from "@conform-to/zod";
import { type ActionFunctionArgs, data, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, requireSession } from "../auth/session.server.js";
import { services } from "../services.server.js";
import {
  browserHolidays,
  eligibility,
  getApplication,
  rulesContext,
  saveDraft,
} from "./applications.server.js";
import { type ApplicationDocument, formDefaults } from "./document.js";
import { type ApplicationKind, applicationFormSchema } from "./schema.js";

/** Loader and action shared by the 転出届 + 転入予約 and 転居予約 pages (the routes stay thin). */

export async function applicationFormLoader(kind: ApplicationKind, { request, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const allowed = eligibility(portal, session);
  const ctx = rulesContext(portal, session, kind);
  const draftId = new URL(request.url).searchParams.get("draft");
  const draft = draftId ? await getApplication(portal, session, draftId) : undefined;
  const editable = draft && draft.status === "draft" && draft.kind === kind ? draft : undefined;
  return {
    kind,
    block: allowed.ok ? null : allowed.block,
    csrf: session.csrfToken,
    rules: ctx
      ? {
          today: ctx.today,
          originLgCode: ctx.originLgCode,
          hosted: ctx.hosted,
          holidays: browserHolidays(portal),
        }
      : null,
    filer: {
      name: session.claims.name ?? "",
      nameKana: session.claims.name_kana ?? "",
      address: session.claims.address ?? "",
      birthDate: session.claims.birthdate ?? "",
    },
    draftId: editable?.id ?? null,
    defaultValue: editable ? formDefaults(editable.document as ApplicationDocument) : null,
  };
}

export async function applicationFormAction(kind: ApplicationKind, { request, context }: ActionFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const formData = await request.formData();
  assertCsrf(session, formData);
  const allowed = eligibility(portal, session);
  const ctx = rulesContext(portal, session, kind);
  if (!allowed.ok || !ctx) {
    // The page already says why; a forged post gets a plain refusal.
    throw new Response("オンラインでは申請できません (online filing is not possible for this holder)", {
      status: 403,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
  const submission = parseWithZod(formData, { schema: applicationFormSchema(ctx) });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const requestedDraft = formData.get("draftId");
  const existing =
    typeof requestedDraft === "string" && requestedDraft
      ? await getApplication(portal, session, requestedDraft)
      : undefined;
  const draftId = existing?.status === "draft" && existing.kind === kind ? existing.id : undefined;
  const id = await saveDraft(portal, session, kind, ctx, submission.value, draftId);
  return redirect(`/applications/${id}/review`);
}

import { parseWithZod } from "@conform-to/zod";
import { type ActionFunctionArgs, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, forbidden, notFound, requireStaff } from "../../auth/session.server";
import { certificateContext, certificatePdfResponse } from "../../certificates/certificates.server";
import { CertificateRefusedError, issueCertificate } from "../../certificates/issue";
import { CertificateRenderError } from "../../certificates/render";
import { certificateRequestSchema } from "../../certificates/schema";
import { ForbiddenError } from "../../register/authorization";
import { RegisterValidationError } from "../../register/errors";
import { services } from "../../services.server";

/**
 * Issues the certificate and answers with the PDF (a resource route: no page, so the Response
 * reaches the browser as it is). The form page (records.$residentId.certificate) checks the
 * request first; anything refused here (a request that changed in between, or a forged one) gets
 * a short Japanese page with a way back.
 */
const ROLES = ["clerk", "supervisor"] as const;

function refusal(status: number, residentId: string, lines: string[]): Response {
  const back = `/records/${encodeURIComponent(residentId)}/certificate`;
  const items = lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("");
  const html = `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>証明書を発行できません</title></head><body><main><h1>証明書を発行できません</h1><ul>${items}</ul><p><a href="${escapeHtml(back)}">請求内容の入力に戻る</a></p></main></body></html>`;
  return new Response(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function loader({ params }: LoaderFunctionArgs) {
  // A download is a POST (CSRF, audited issuance); a GET goes to the form.
  return redirect(`/records/${encodeURIComponent(params.residentId ?? "")}/certificate`);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const formData = await request.formData();
  assertCsrf(staff, formData);
  const residentId = params.residentId ?? "";
  const submission = parseWithZod(formData, { schema: certificateRequestSchema });
  if (submission.status !== "success") {
    return refusal(
      400,
      residentId,
      Object.values(submission.error ?? {})
        .flat()
        .filter(Boolean) as string[],
    );
  }
  try {
    const issued = await issueCertificate(certificateContext(office, staff), {
      residentId,
      ...submission.value,
    });
    office.logger.info(
      { staffId: staff.staffId, certificateNumber: issued.certificateNumber, kind: issued.kind },
      "certificate issued",
    );
    return certificatePdfResponse(issued);
  } catch (err) {
    if (err instanceof RegisterValidationError) return refusal(400, residentId, Object.values(err.fields));
    if (err instanceof CertificateRefusedError) {
      if (err.reason === "notFound") throw notFound(err.message);
      return refusal(403, residentId, [err.message]);
    }
    if (err instanceof CertificateRenderError) return refusal(422, residentId, [err.message]);
    if (err instanceof ForbiddenError) {
      if (err.reason === "municipality") throw notFound("この住民の記録は見つかりませんでした。");
      throw forbidden(err.message);
    }
    throw err;
  }
}

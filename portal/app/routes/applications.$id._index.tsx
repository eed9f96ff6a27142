import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { historyOf } from "../../applications/applications.queries";
import { cancelApplication, getApplication } from "../../applications/applications.server";
import type { ApplicationDocument } from "../../applications/document";
import { canCancel } from "../../applications/status";
import { assertCsrf, requireSession } from "../../auth/session.server";
import { services } from "../../services.server";
import { ApplicationSummary } from "../components/application-summary";
import { formatDateTime } from "../components/format";
import { StatusBadge } from "../components/status";
import { isMessageKey, type MessageKey, useT } from "../i18n";

export const meta: MetaFunction = () => [{ title: "申請の状況 | 引越しワンストップサービス" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const app = await getApplication(portal, session, params.id ?? "");
  if (!app) throw new Response("Not Found", { status: 404 });
  if (app.status === "draft") throw redirect(`/applications/${app.id}/review`);
  const url = new URL(request.url);
  const history = await historyOf(portal.db, app.id);
  return {
    id: app.id,
    receiptNumber: app.receiptNumber ?? "",
    status: app.status,
    reason:
      app.reasonCode && isMessageKey(`reason.${app.reasonCode}`)
        ? app.reasonCode
        : app.reasonCode
          ? "other"
          : null,
    submittedAt: app.submittedAt?.toISOString() ?? null,
    doc: app.document as ApplicationDocument,
    history: history.map((h) => ({ status: h.status, at: h.at.toISOString() })),
    cancellable: canCancel(app.status),
    csrf: session.csrfToken,
    justSubmitted: url.searchParams.get("submitted") === "1",
    confirmCancel: url.searchParams.get("confirm") === "cancel" && canCancel(app.status),
    notice: url.searchParams.get("cancel"),
  };
}

/** 「取り消す」: only the holder's own application, only while the counter has not completed it. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const form = await request.formData();
  assertCsrf(session, form);
  if (form.get("intent") !== "cancel") throw new Response("Bad Request", { status: 400 });
  const result = await cancelApplication(portal, session, params.id ?? "");
  if (result.kind === "notFound") throw new Response("Not Found", { status: 404 });
  return redirect(`/applications/${params.id}?cancel=${result.kind === "cancelled" ? "done" : "tooLate"}`);
}

export default function ApplicationStatusPage() {
  const data = useLoaderData<typeof loader>();
  const { t, lang } = useT();
  return (
    <>
      <h1>{t("detail.title")}</h1>
      {data.justSubmitted ? (
        <p className="notice notice--success" role="status">
          {t("detail.submitted")}
        </p>
      ) : null}
      {data.notice === "done" || data.notice === "tooLate" ? (
        <p className="notice" role="status">
          {t(data.notice === "done" ? "detail.cancel.done" : "detail.cancel.tooLate")}
        </p>
      ) : null}
      <dl className="summary summary--key">
        <dt>{t("detail.receiptNumber")}</dt>
        <dd className="receipt-number" data-testid="receipt-number">
          {data.receiptNumber}
        </dd>
        <dt>{t("detail.status")}</dt>
        <dd>
          <StatusBadge status={data.status} />
          <p>{t(`statusHelp.${data.status}`)}</p>
        </dd>
        {data.reason ? (
          <>
            <dt>{t("detail.reason")}</dt>
            <dd>{t(`reason.${data.reason}` as MessageKey)}</dd>
          </>
        ) : null}
        {data.submittedAt ? (
          <>
            <dt>{t("detail.submittedAt")}</dt>
            <dd>{formatDateTime(lang, data.submittedAt)}</dd>
          </>
        ) : null}
      </dl>
      {data.cancellable ? (
        data.confirmCancel ? (
          <section className="alert" aria-labelledby="cancel-title">
            <h2 id="cancel-title">{t("detail.cancel")}</h2>
            <p>{t("detail.cancel.confirm")}</p>
            <div className="actions">
              <Form method="post">
                <input type="hidden" name="csrf" value={data.csrf} />
                <button type="submit" name="intent" value="cancel" className="button button--danger">
                  {t("detail.cancel.yes")}
                </button>
              </Form>
              <Link to={`/applications/${data.id}`} className="button">
                {t("detail.cancel.no")}
              </Link>
            </div>
          </section>
        ) : (
          <p>
            <Link to={`/applications/${data.id}?confirm=cancel`} className="button button--danger">
              {t("detail.cancel")}
            </Link>
          </p>
        )
      ) : null}
      <h2>{t("detail.history")}</h2>
      <ol className="history">
        {data.history.map((h) => (
          <li key={`${h.status}-${h.at}`}>
            <StatusBadge status={h.status} /> <time dateTime={h.at}>{formatDateTime(lang, h.at)}</time>
          </li>
        ))}
      </ol>
      <ApplicationSummary doc={data.doc} />
      <p>
        <Link to="/">{t("detail.back")}</Link>
      </p>
    </>
  );
}

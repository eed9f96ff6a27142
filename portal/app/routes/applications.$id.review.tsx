import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { eligibility, getApplication, startSigning } from "../../applications/applications.server";
import type { ApplicationDocument } from "../../applications/document";
import { assertCsrf, requireSession } from "../../auth/session.server";
import { services } from "../../services.server";
import { applicationDigest, digestForDisplay } from "../../signing/canonical";
import { ApplicationSummary } from "../components/application-summary";
import { type MessageKey, useT } from "../i18n";

export const meta: MetaFunction = () => [{ title: "入力内容の確認 | 引越しワンストップサービス" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  const app = await getApplication(portal, session, params.id ?? "");
  if (!app) throw new Response("Not Found", { status: 404 });
  if (app.status !== "draft") throw redirect(`/applications/${app.id}`);
  const allowed = eligibility(portal, session);
  const signing = new URL(request.url).searchParams.get("signing");
  const block = new URL(request.url).searchParams.get("block");
  return {
    id: app.id,
    kind: app.kind,
    doc: app.document as ApplicationDocument,
    digest: digestForDisplay(applicationDigest(app.document)),
    csrf: session.csrfToken,
    block: allowed.ok ? (signing === "blocked" ? (block ?? "unknown") : null) : allowed.block,
    signing: signing === "cancelled" || signing === "failed" ? signing : null,
  };
}

/** 「署名して送信」: off to the IdP's signing page (PIN there), back at /applications/:id/signed. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const portal = services(context);
  const session = await requireSession(portal, request);
  assertCsrf(session, await request.formData());
  const result = await startSigning(portal, session, params.id ?? "");
  if (result.kind === "notFound") throw new Response("Not Found", { status: 404 });
  if (result.kind === "blocked") return { block: result.block };
  return redirect(result.url, { headers: { "Cache-Control": "no-store" } });
}

export default function Review() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t } = useT();
  const block = actionData?.block ?? data.block;
  const blockKey = `block.${block}` as MessageKey;
  return (
    <>
      <h1>{t("review.title")}</h1>
      {data.signing ? (
        <p className="notice" role="status">
          {t(data.signing === "cancelled" ? "review.signing.cancelled" : "review.signing.failed")}
        </p>
      ) : null}
      {block ? (
        <section className="alert" aria-labelledby="block-title" role="alert">
          <h2 id="block-title">{t("block.title")}</h2>
          <p>{t(blockKey)}</p>
        </section>
      ) : (
        <p>{t("review.intro")}</p>
      )}
      <ApplicationSummary doc={data.doc} />
      <p className="hint">
        {t("review.digest")}: <code>{data.digest}</code>
      </p>
      <div className="actions">
        <Link
          to={`/${data.kind === "moveOut" ? "move-out" : "relocation"}?draft=${data.id}`}
          className="button"
        >
          {t("review.edit")}
        </Link>
        {block ? null : (
          <Form method="post" reloadDocument>
            <input type="hidden" name="csrf" value={data.csrf} />
            <button type="submit" className="button button--primary">
              {t("review.sign")}
            </button>
          </Form>
        )}
      </div>
    </>
  );
}

import { getFormProps, getInputProps, getTextareaProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, forbidden, notFound } from "../../auth/session.server";
import { decideApproval, openApproval } from "../../counter/forms/approvals.server";
import { staffContext } from "../../counter/forms/route.server";
import { decisionSchema } from "../../counter/forms/schema";
import { FieldErrors } from "../../counter/forms/ui";
import { ForbiddenError } from "../../register/authorization";
import { changeKindLabel } from "../../register/lifecycle";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "承認申請の確認 | 住民記録システム（窓口）" }];

const STATUS: Record<string, string> = {
  pending: "承認待ち",
  approved: "承認済み",
  rejected: "却下",
  consumed: "承認・処理済み",
};

/** One request: what was asked (sealed summary, audited when opened) and the decision form. */
export async function loader(args: LoaderFunctionArgs) {
  const { staff, ctx } = await staffContext(args, ["supervisor"]);
  const detail = await openApproval(ctx, args.params.id ?? "");
  if (!detail) throw notFound("この申請は見つかりませんでした。");
  return {
    csrf: staff.csrfToken,
    id: detail.info.id,
    command: changeKindLabel[detail.info.command as keyof typeof changeKindLabel] ?? detail.info.command,
    status: detail.info.status,
    requestedBy: detail.info.requestedBy,
    requestedAt: detail.info.requestedAt.toISOString(),
    summary: detail.summary,
    ownRequest: detail.ownRequest,
    resultKey: detail.resultKey,
  };
}

/** Approve (runs the change) or reject with a reason; the requester and clerks get 403. */
export async function action(args: ActionFunctionArgs) {
  const { staff, ctx } = await staffContext(args, ["supervisor"]);
  const formData = await args.request.formData();
  assertCsrf(staff, formData);
  try {
    const outcome = await decideApproval(ctx, args.params.id ?? "", formData);
    if (!outcome) throw notFound("この申請は見つかりませんでした。");
    if (outcome.status === "invalid") return data(outcome.reply, { status: 400 });
    if (outcome.status === "approved")
      return redirect(`/changes/done/${encodeURIComponent(outcome.requestKey)}`);
    return redirect("/approvals");
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    throw err;
  }
}

export default function ApprovalPage() {
  const a = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "decision",
    lastResult,
    constraint: getZodConstraint(decisionSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: decisionSchema }),
  });
  const reasonProps = getTextareaProps(fields.reason);
  return (
    <>
      <h1>{a.command}の承認申請</h1>
      <dl className="facts">
        <dt>状態</dt>
        <dd>{STATUS[a.status] ?? a.status}</dd>
        <dt>申請者</dt>
        <dd>{a.requestedBy}</dd>
        <dt>申請日時</dt>
        <dd>{dateTimeJa(a.requestedAt)}</dd>
      </dl>
      <section aria-labelledby="summary">
        <h2 id="summary">申請の内容</h2>
        {a.summary ? (
          <table>
            <tbody>
              {a.summary.map((row, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows of a fixed summary
                <tr key={i}>
                  <th scope="row">{row.label}</th>
                  <td>{row.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>
            {a.status === "pending"
              ? "申請の内容を表示できません。"
              : "処理済みのため、申請の内容は消去されています。"}
          </p>
        )}
      </section>
      {a.resultKey ? (
        <p>
          <a href={`/changes/done/${encodeURIComponent(a.resultKey)}`}>登録した異動を見る</a>
        </p>
      ) : null}
      {a.status === "pending" && !a.ownRequest ? (
        <section aria-labelledby="decide">
          <h2 id="decide">承認・却下</h2>
          {form.errors?.length ? (
            <div className="banner-warning" role="alert" id={form.errorId}>
              <ul>
                {form.errors.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <Form method="post" {...getFormProps(form)}>
            <input type="hidden" name="csrf" value={a.csrf} />
            <fieldset className="fieldset">
              <legend>判断</legend>
              <div className="field">
                <input
                  {...getInputProps(fields.decision, { type: "radio", value: "approve" })}
                  id="decision-approve"
                  key="approve"
                />{" "}
                <label htmlFor="decision-approve">承認する（この内容で異動を登録します）</label>
              </div>
              <div className="field">
                <input
                  {...getInputProps(fields.decision, { type: "radio", value: "reject" })}
                  id="decision-reject"
                  key="reject"
                />{" "}
                <label htmlFor="decision-reject">却下する</label>
              </div>
              <FieldErrors id={fields.decision.errorId} errors={fields.decision.errors} />
            </fieldset>
            <div className="field">
              <label htmlFor={fields.reason.id}>理由（却下のときは必須）</label>
              <textarea
                {...reasonProps}
                key={reasonProps.key}
                rows={3}
                cols={60}
                aria-describedby={fields.reason.errors?.length ? fields.reason.errorId : undefined}
              />
              <FieldErrors id={fields.reason.errorId} errors={fields.reason.errors} />
            </div>
            <button type="submit" className="button">
              決定する
            </button>
          </Form>
        </section>
      ) : null}
      {a.ownRequest && a.status === "pending" ? (
        <p className="notice">自分が申請したものは承認・却下できません。別の係長に依頼してください。</p>
      ) : null}
      <p>
        <a href="/approvals">承認待ち一覧へ戻る</a>
      </p>
    </>
  );
}

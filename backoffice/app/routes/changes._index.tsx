import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { myRequests } from "../../counter/forms/approvals.server";
import { CHANGE_FORM_KINDS, CHANGE_FORMS } from "../../counter/forms/kinds";
import { COUNTER_ROLES, staffContext } from "../../counter/forms/route.server";
import { changeKindLabel } from "../../register/lifecycle";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "異動届 | 住民記録システム（窓口）" }];

const STATUS: Record<string, string> = {
  pending: "承認待ち",
  approved: "承認済み",
  rejected: "却下",
  consumed: "承認・処理済み",
};

/** 異動届: the kinds of counter change, and the staff member's own approval requests. */
export async function loader(args: LoaderFunctionArgs) {
  const { staff, ctx } = await staffContext(args, COUNTER_ROLES);
  const mine = await myRequests(ctx);
  return {
    supervisor: staff.roles.includes("supervisor"),
    mine: mine.map((m) => ({
      id: m.id,
      command: m.command,
      status: m.status,
      requestedAt: m.requestedAt.toISOString(),
    })),
  };
}

export default function Changes() {
  const { supervisor, mine } = useLoaderData<typeof loader>();
  const ordinary = CHANGE_FORM_KINDS.filter((k) => !CHANGE_FORMS[k].needsApproval);
  const approval = CHANGE_FORM_KINDS.filter((k) => CHANGE_FORMS[k].needsApproval);
  return (
    <>
      <h1>異動届</h1>
      <p>
        窓口で受け付けた届出を入力します。対象の方は住民票コードで指定します（
        <a href="/changes/search">住民検索</a>で確認できます）。
      </p>
      <section aria-labelledby="ordinary">
        <h2 id="ordinary">届出</h2>
        <ul>
          {ordinary.map((k) => (
            <li key={k}>
              <a href={`/changes/${CHANGE_FORMS[k].slug}`}>{CHANGE_FORMS[k].title}</a> —{" "}
              {CHANGE_FORMS[k].description}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="approval">
        <h2 id="approval">職権による異動・異動取消（係長の承認が必要）</h2>
        <ul>
          {approval.map((k) => (
            <li key={k}>
              <a href={`/changes/${CHANGE_FORMS[k].slug}`}>{CHANGE_FORMS[k].title}</a> —{" "}
              {CHANGE_FORMS[k].description}
            </li>
          ))}
        </ul>
        {supervisor ? (
          <p>
            <a href="/approvals">承認待ち一覧</a>
          </p>
        ) : null}
      </section>
      <section aria-labelledby="mine">
        <h2 id="mine">自分の承認申請</h2>
        {mine.length === 0 ? (
          <p>申請はありません。</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">申請日時</th>
                <th scope="col">種類</th>
                <th scope="col">状態</th>
              </tr>
            </thead>
            <tbody>
              {mine.map((m) => (
                <tr key={m.id}>
                  <td>
                    <a href={`/changes/requested/${m.id}`}>{dateTimeJa(m.requestedAt)}</a>
                  </td>
                  <td>{changeKindLabel[m.command as keyof typeof changeKindLabel] ?? m.command}</td>
                  <td>{STATUS[m.status] ?? m.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

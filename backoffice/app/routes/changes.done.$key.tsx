import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { notFound } from "../../auth/session.server";
import { loadChangeResult } from "../../counter/forms/result.server";
import { COUNTER_ROLES, staffContext } from "../../counter/forms/route.server";
import { dateJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "異動の処理結果 | 住民記録システム（窓口）" }];

/** The result of a counter change: the history rows it wrote, the late flag, links to the records. */
export async function loader(args: LoaderFunctionArgs) {
  const { ctx } = await staffContext(args, COUNTER_ROLES);
  const result = await loadChangeResult(ctx, args.params.key ?? "");
  if (!result) throw notFound("この処理結果は見つかりませんでした。");
  return result;
}

export default function ChangeDone() {
  const result = useLoaderData<typeof loader>();
  return (
    <>
      <h1>異動を登録しました</h1>
      {result.late ? (
        <p className="banner-warning" role="status">
          届出期間経過:
          届出期間を過ぎた届出として記録しました（受理済み）。必要に応じて届出期間経過通知の手続きを行ってください。
        </p>
      ) : null}
      {result.changes.map((c, i) => (
        <section key={c.id} aria-labelledby={`change-${i}`}>
          <h2 id={`change-${i}`}>
            {i + 1}. {c.kindLabel}
            {c.late ? "（届出期間経過）" : ""}
          </h2>
          <dl className="facts">
            <dt>異動日</dt>
            <dd>{dateJa(c.effectiveDate)}</dd>
            <dt>届出日</dt>
            <dd>{c.notifiedOn ? dateJa(c.notifiedOn) : "職権"}</dd>
            {c.reason ? (
              <>
                <dt>理由</dt>
                <dd>{c.reason}</dd>
              </>
            ) : null}
            {c.approvedBy ? (
              <>
                <dt>承認者</dt>
                <dd>{c.approvedBy}</dd>
              </>
            ) : null}
          </dl>
          <table>
            <caption>変更された項目</caption>
            <thead>
              <tr>
                <th scope="col">項目</th>
                <th scope="col">変更前</th>
                <th scope="col">変更後</th>
              </tr>
            </thead>
            <tbody>
              {c.lines.map((l) => (
                <tr key={l.field}>
                  <th scope="row">{l.label}</th>
                  <td>{l.before}</td>
                  <td>{l.after}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <a href={`/records/${c.residentId}`}>この方の住民記録を開く</a>
          </p>
        </section>
      ))}
      <p>
        <a href="/changes">異動届の一覧へ戻る</a>
      </p>
    </>
  );
}

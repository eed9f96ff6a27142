import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { approvalQueue } from "../../counter/forms/approvals.server";
import { staffContext } from "../../counter/forms/route.server";
import { changeKindLabel } from "../../register/lifecycle";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "承認待ち一覧 | 住民記録システム（窓口）" }];

/** 承認待ち一覧: the supervisor's queue of 職権 changes and 異動取消, oldest first. */
export async function loader(args: LoaderFunctionArgs) {
  const { ctx } = await staffContext(args, ["supervisor"]);
  const { pending } = await approvalQueue(ctx);
  return {
    pending: pending.map((p) => ({
      id: p.id,
      command: changeKindLabel[p.command as keyof typeof changeKindLabel] ?? p.command,
      requestedBy: p.requestedBy,
      requestedAt: p.requestedAt.toISOString(),
      ownRequest: p.ownRequest,
    })),
  };
}

export default function Approvals() {
  const { pending } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>承認待ち一覧</h1>
      <p>
        職権記載・職権消除・職権修正・異動取消の申請です。申請者と別の係長が内容を確認し、承認または却下します。
      </p>
      <p role="status">{pending.length}件</p>
      {pending.length === 0 ? (
        <p>承認待ちの申請はありません。</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">申請日時</th>
              <th scope="col">種類</th>
              <th scope="col">申請者</th>
              <th scope="col">操作</th>
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => (
              <tr key={p.id}>
                <td>{dateTimeJa(p.requestedAt)}</td>
                <td>{p.command}</td>
                <td>{p.requestedBy}</td>
                <td>
                  <a href={`/approvals/${p.id}`}>
                    {p.ownRequest ? "内容を見る（自分の申請のため承認できません）" : "内容を確認する"}
                    <span className="visually-hidden">（{p.command}）</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

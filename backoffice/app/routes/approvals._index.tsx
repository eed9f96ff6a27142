import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { approvalQueue, myRequests } from "../../counter/forms/approvals.server";
import { COUNTER_ROLES, staffContext } from "../../counter/forms/route.server";
import { changeKindLabel } from "../../register/lifecycle";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "承認待ち一覧 | 住民記録システム（窓口）" }];

const STATUS: Record<string, string> = {
  pending: "承認待ち",
  approved: "承認済み",
  rejected: "却下",
  consumed: "承認・処理済み",
};

/**
 * 承認待ち一覧: for a supervisor, the queue of 職権 changes and 異動取消, oldest first; for a clerk
 * (who cannot approve), their own requests and where each stands.
 */
export async function loader(args: LoaderFunctionArgs) {
  const { staff, ctx } = await staffContext(args, COUNTER_ROLES);
  const supervisor = staff.roles.includes("supervisor");
  const pending = supervisor ? (await approvalQueue(ctx)).pending : null;
  const mine = await myRequests(ctx);
  return {
    mine: mine.map((m) => ({
      id: m.id,
      command: changeKindLabel[m.command as keyof typeof changeKindLabel] ?? m.command,
      status: m.status,
      requestedAt: m.requestedAt.toISOString(),
    })),
    pending:
      (pending ?? null)?.map((p) => ({
        id: p.id,
        command: changeKindLabel[p.command as keyof typeof changeKindLabel] ?? p.command,
        requestedBy: p.requestedBy,
        requestedAt: p.requestedAt.toISOString(),
        ownRequest: p.ownRequest,
      })) ?? null,
  };
}

export default function Approvals() {
  const { pending, mine } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>承認待ち一覧</h1>
      <p>
        職権記載・職権消除・職権修正・異動取消の申請です。申請者と別の係長が内容を確認し、承認または却下します。
      </p>
      {pending === null ? (
        <p className="notice">承認・却下は係長が行います。ここでは自分の申請の状況を確認できます。</p>
      ) : (
        <PendingList pending={pending} />
      )}
      <section aria-labelledby="mine">
        <h2 id="mine">自分の申請</h2>
        {mine.length === 0 ? (
          <p>申請はありません。</p>
        ) : (
          <ul>
            {mine.map((m) => (
              <li key={m.id}>
                <a href={`/changes/requested/${m.id}`}>
                  {m.command}（{dateTimeJa(m.requestedAt)}）
                </a>
                : {STATUS[m.status] ?? m.status}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function PendingList({
  pending,
}: {
  pending: { id: string; command: string; requestedBy: string; requestedAt: string; ownRequest: boolean }[];
}) {
  return (
    <>
      <p role="status">承認待ち {pending.length}件</p>
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

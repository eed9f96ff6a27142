import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { notFound } from "../../auth/session.server";
import { approvalRequestKey } from "../../counter/forms/approvals.server";
import { getApprovalInfo, storedCommandRequest } from "../../counter/forms/requests.queries";
import { COUNTER_ROLES, staffContext } from "../../counter/forms/route.server";
import { changeKindLabel } from "../../register/lifecycle";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "承認申請 | 住民記録システム（窓口）" }];

const STATUS: Record<string, string> = {
  pending: "承認待ち（係長が確認します）",
  approved: "承認済み",
  rejected: "却下されました",
  consumed: "承認され、異動を登録しました",
};

/** The requester's view of one of their approval requests (its status, and the result once run). */
export async function loader(args: LoaderFunctionArgs) {
  const { ctx } = await staffContext(args, COUNTER_ROLES);
  const info = await getApprovalInfo(ctx.db, args.params.id ?? "");
  if (!info || info.lgCode !== ctx.actor.lgCode) throw notFound("この申請は見つかりませんでした。");
  const key = approvalRequestKey(info.id);
  const done = info.status === "consumed" && (await storedCommandRequest(ctx.db, key))?.result;
  return {
    command: changeKindLabel[info.command as keyof typeof changeKindLabel] ?? info.command,
    status: info.status,
    requestedAt: info.requestedAt.toISOString(),
    resultKey: done ? key : null,
  };
}

export default function Requested() {
  const r = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{r.command}の承認申請</h1>
      <p role="status">状態: {STATUS[r.status] ?? r.status}</p>
      <dl className="facts">
        <dt>申請日時</dt>
        <dd>{dateTimeJa(r.requestedAt)}</dd>
      </dl>
      {r.status === "pending" ? <p>申請者と別の係長が承認すると、異動が登録されます。</p> : null}
      {r.resultKey ? (
        <p>
          <a href={`/changes/done/${encodeURIComponent(r.resultKey)}`}>登録した異動を見る</a>
        </p>
      ) : null}
      <p>
        <a href="/changes">異動届の一覧へ戻る</a>
      </p>
    </>
  );
}

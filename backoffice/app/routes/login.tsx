import { type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { getStaff, safeNext } from "../../auth/session.server";
import { services } from "../../services.server";

export const meta: MetaFunction = () => [{ title: "職員ログイン | 住民記録システム（窓口）" }];

const MESSAGES: Record<string, string> = {
  failed: "ログインできませんでした。もう一度お試しください。",
  cancelled: "ログインが取り消されました。",
  unavailable: "認証サーバーに接続できません。しばらくしてからお試しください。",
  refused: "この職員IDではこのシステムを利用できません。",
  loggedOut: "ログアウトしました。",
  required: "ログインしてください。",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const next = safeNext(url.searchParams.get("next"));
  if (await getStaff(services(context), request)) throw redirect(next);
  const status = url.searchParams.get("login") ?? (url.searchParams.has("next") ? "required" : null);
  return { next, message: status ? (MESSAGES[status] ?? null) : null, isError: status !== "loggedOut" };
}

export default function Login() {
  const { next, message, isError } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>職員ログイン</h1>
      {message ? (
        <p role={isError ? "alert" : "status"} className={isError ? "field-error" : "status-ok"}>
          {message}
        </p>
      ) : null}
      <p>職員IDとパスワードは、認証サーバーの画面で入力します。</p>
      <form method="get" action="/auth/login">
        {next !== "/" ? <input type="hidden" name="next" value={next} /> : null}
        <button type="submit" className="button">
          職員ログイン
        </button>
      </form>
      <p className="notice">
        このシステムは庁内のマイナンバー利用事務系ネットワークからのみ利用できます。操作はすべて記録されます。
      </p>
    </>
  );
}

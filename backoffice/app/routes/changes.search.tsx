import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf } from "../../auth/session.server";
import { COUNTER_ROLES, staffContext } from "../../counter/forms/route.server";
import {
  findByResidentCode,
  type ResidentHit,
  SearchError,
  searchResidents,
} from "../../register/search.queries";
import { dateJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "住民検索（異動届） | 住民記録システム（窓口）" }];

const PURPOSE = "住民異動届の処理（対象者の確認）";

export async function loader(args: LoaderFunctionArgs) {
  const { staff } = await staffContext(args, COUNTER_ROLES);
  return { csrf: staff.csrfToken };
}

/**
 * Finds residents to put on a counter form, by name / birth date / address or by 住民票コード.
 * A POST, so that names and dates never go into a URL; every search is audited by the register.
 */
export async function action(args: ActionFunctionArgs) {
  const { staff, ctx } = await staffContext(args, COUNTER_ROLES);
  const form = await args.request.formData();
  assertCsrf(staff, form);
  const text = (k: string) =>
    String(form.get(k) ?? "")
      .trim()
      .slice(0, 100) || undefined;
  const includeRemoved = form.get("includeRemoved") === "1";
  const code = text("residentCode");
  try {
    let rows: ResidentHit[];
    if (code) {
      const hit = await findByResidentCode(ctx.db, {
        lgCode: staff.lgCode,
        actor: ctx.actor,
        purpose: PURPOSE,
        residentCode: code,
        includeRemoved,
      });
      rows = hit ? [hit] : [];
    } else {
      const name = text("name");
      const birthDate = text("birthDate");
      const address = text("address");
      const page = await searchResidents(ctx.db, {
        lgCode: staff.lgCode,
        actor: ctx.actor,
        purpose: PURPOSE,
        includeRemoved,
        ...(name ? { name } : {}),
        ...(birthDate ? { birthDate } : {}),
        ...(address ? { address } : {}),
        limit: 20,
      });
      rows = page.rows;
    }
    return { error: null, rows };
  } catch (err) {
    if (err instanceof SearchError) return { error: err.message, rows: [] as ResidentHit[] };
    throw err;
  }
}

const STATUS: Record<string, string> = { active: "記載中", moveOutScheduled: "転出予定", removed: "除票" };

export default function Search() {
  const { csrf } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>住民検索（異動届の対象者）</h1>
      <p>
        異動届に入力する住民票コードを確認します。氏名・生年月日・住所のいずれか、または住民票コードで検索します。
      </p>
      <Form method="post">
        <input type="hidden" name="csrf" value={csrf} />
        <div className="field">
          <label htmlFor="name">氏名（漢字またはカタカナ）</label>
          <input id="name" name="name" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="birthDate">生年月日</label>
          <input id="birthDate" name="birthDate" type="date" />
        </div>
        <div className="field">
          <label htmlFor="address">住所（町名・丁目・番・号など）</label>
          <input id="address" name="address" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="residentCode">住民票コード</label>
          <input id="residentCode" name="residentCode" inputMode="numeric" autoComplete="off" />
        </div>
        <div className="choice">
          <input id="includeRemoved" name="includeRemoved" type="checkbox" value="1" />{" "}
          <label htmlFor="includeRemoved">除票も含める（異動取消のとき）</label>
        </div>
        <button type="submit" className="button">
          検索
        </button>
      </Form>
      {result?.error ? (
        <p className="banner-warning" role="alert">
          {result.error}
        </p>
      ) : null}
      {result && !result.error ? (
        <section aria-labelledby="hits">
          <h2 id="hits">検索結果</h2>
          <p role="status">{result.rows.length}件</p>
          {result.rows.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">氏名</th>
                  <th scope="col">生年月日</th>
                  <th scope="col">住所</th>
                  <th scope="col">住民票コード</th>
                  <th scope="col">状態</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.familyName} {r.givenName}
                      <span className="kana">
                        （{r.familyKana} {r.givenKana}）
                      </span>
                    </td>
                    <td>{dateJa(r.birthDate)}</td>
                    <td>{r.addressLine}</td>
                    <td>{r.residentCode}</td>
                    <td>{STATUS[r.status] ?? r.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      ) : null}
      <p>
        <a href="/changes">異動届の一覧へ戻る</a>
      </p>
    </>
  );
}

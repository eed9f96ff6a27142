import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { forbidden, notFound, requireStaff } from "../../auth/session.server";
import { isPurposeCode, PURPOSES } from "../../counter/record-search.schema";
import { ForbiddenError, openRecord } from "../../counter/records.server";
import { services } from "../../services.server";
import { dateJa, dateTimeJa, SEX_LABELS } from "../components/format";

export const meta: MetaFunction = () => [{ title: "住民票の閲覧 | 住民記録システム（窓口）" }];

/**
 * 住民票の閲覧: the record with its full history and the support-measure banner. The purpose
 * (a code, not personal data) is in the URL; without it the page asks for it first. Every view
 * is audited (record.view) by the register; another municipality's record is not found.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const residentId = params.residentId ?? "";
  const purpose = new URL(request.url).searchParams.get("purpose");
  if (!isPurposeCode(purpose)) return { ask: true as const, residentId, page: null, purpose: null };
  let page: Awaited<ReturnType<typeof openRecord>>;
  try {
    page = await openRecord(office, staff, residentId, purpose);
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    throw err;
  }
  if (!page) throw notFound("この住民記録は見つかりませんでした（他の市区町村の記録は表示できません）。");
  return { ask: false as const, residentId, page, purpose };
}

export default function RecordView() {
  const data = useLoaderData<typeof loader>();
  if (data.ask) {
    return (
      <>
        <h1>住民票の閲覧</h1>
        <p>閲覧の目的を選んでください。閲覧は目的とともに記録されます。</p>
        <Form method="get">
          <div className="field">
            <label htmlFor="purpose">利用目的</label>
            <select id="purpose" name="purpose" required>
              {Object.entries(PURPOSES).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button">
            閲覧する
          </button>
        </Form>
      </>
    );
  }
  const { page, residentId, purpose } = data;
  const r = page.record;
  return (
    <>
      <p>
        <a href="/records">← 住民検索へ戻る</a>
      </p>
      {page.supportMeasure ? (
        <div className="banner-warning" role="alert">
          支援措置対象者（DV等支援措置 {dateJa(page.supportMeasure.since)}から
          {page.supportMeasure.extendedUntil || page.supportMeasure.until
            ? `${dateJa(page.supportMeasure.extendedUntil ?? page.supportMeasure.until)}まで`
            : ""}
          ）。第三者からの請求による交付・閲覧は行わないでください。住所を口頭で伝えないでください。
        </div>
      ) : null}
      <h1>
        {r.familyName} {r.givenName}
        <span className="kana">（{`${r.familyKana} ${r.givenKana}`}）</span>
      </h1>
      <p>
        閲覧の目的: {PURPOSES[purpose]}（この閲覧は記録されました）
        {r.status === "removed" ? <strong>　除票（{page.removalReasonLabel}）</strong> : null}
      </p>
      <p>
        <a className="button button--secondary" href={`/records/${residentId}/certificate`}>
          {r.status === "removed" ? "除票の写しを発行" : "住民票の写しを発行"}
        </a>
      </p>
      <section aria-labelledby="items">
        <h2 id="items">記載事項</h2>
        <dl className="facts">
          <dt>状態</dt>
          <dd>
            {page.statusLabel}
            {r.removedOn ? `（消除 ${dateJa(r.removedOn)}）` : ""}
          </dd>
          <dt>住民票コード</dt>
          <dd>{r.residentCode}</dd>
          <dt>個人番号</dt>
          <dd>{r.hasMyNumber ? "記録あり（この画面では表示しません）" : "記録なし"}</dd>
          <dt>生年月日</dt>
          <dd>{dateJa(r.birthDate)}</dd>
          <dt>性別</dt>
          <dd>{SEX_LABELS[r.sex] ?? r.sex}</dd>
          <dt>続柄</dt>
          <dd>{r.relationship}</dd>
          <dt>住所</dt>
          <dd>{r.addressLine}</dd>
          <dt>住民となった年月日</dt>
          <dd>{dateJa(r.residentSince)}</dd>
          <dt>住所を定めた年月日</dt>
          <dd>{dateJa(r.addressSince)}</dd>
          <dt>届出の年月日</dt>
          <dd>{dateJa(r.addressNotifiedOn)}</dd>
          <dt>従前の住所</dt>
          <dd>{r.previousAddress ?? "—"}</dd>
          <dt>本籍・筆頭者</dt>
          <dd>{r.honseki ? `${r.honseki}（筆頭者 ${r.honsekiHead ?? "—"}）` : "—"}</dd>
          <dt>国籍・地域</dt>
          <dd>{r.nationality}</dd>
        </dl>
      </section>
      <section aria-labelledby="history">
        <h2 id="history">異動の履歴（新しい順）</h2>
        <p className={page.historyConsistent ? "status-ok" : "status-bad"}>
          {page.historyConsistent
            ? "履歴を順にたどった結果は現在の記録と一致しています。"
            : "履歴と現在の記録が一致しません。システム管理者に連絡してください。"}
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">異動</th>
              <th scope="col">異動日・届出日</th>
              <th scope="col">処理</th>
              <th scope="col">変更された事項</th>
            </tr>
          </thead>
          <tbody>
            {page.history.map((h) => (
              <tr key={h.id}>
                <td>
                  {h.kindLabel}
                  {h.late ? <strong>（届出期間経過）</strong> : null}
                  {h.cancels ? "（取消）" : null}
                </td>
                <td>
                  {dateJa(h.effectiveDate)}
                  <br />
                  届出 {dateJa(h.notifiedOn)}
                </td>
                <td>
                  {dateTimeJa(h.processedAt)}
                  <br />
                  {h.by}
                  {h.approvedBy ? `／承認 ${h.approvedBy}` : ""}
                  {h.reason ? `／事由 ${h.reason}` : ""}
                </td>
                <td>
                  <ul className="changes">
                    {h.fields.map((f) => (
                      <li key={f.field}>
                        {FIELD_LABELS[f.field] ?? f.field}: {f.before} → {f.after}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

const FIELD_LABELS: Record<string, string> = {
  householdId: "世帯",
  relationship: "続柄",
  residentCode: "住民票コード",
  myNumber: "個人番号",
  familyName: "氏",
  givenName: "名",
  familyKana: "氏のフリガナ",
  givenKana: "名のフリガナ",
  birthDate: "生年月日",
  sex: "性別",
  nationality: "国籍・地域",
  honseki: "本籍",
  honsekiHead: "筆頭者",
  foreigner: "外国人住民の項目",
  residentSince: "住民となった年月日",
  addressSince: "住所を定めた年月日",
  addressNotifiedOn: "住所を定めた旨の届出の年月日",
  previousAddress: "従前の住所",
  addressLine: "住所",
  moveOut: "転出先・転出予定",
  status: "状態",
  removalReason: "消除の事由",
  removedOn: "消除の年月日",
  qualifications: "資格等",
};

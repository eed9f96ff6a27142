import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, forbidden, requireStaff } from "../../auth/session.server";
import { AUDIT_PURPOSES } from "../../counter/audit-purposes";
import {
  AuditQueryError,
  ForbiddenError,
  isAuditPurpose,
  parseAuditFilters,
  readAuditLog,
  verifyAudit,
} from "../../counter/audit-view.server";
import { services } from "../../services.server";
import { dateTimeJa } from "../components/format";

export const meta: MetaFunction = () => [{ title: "監査ログ | 住民記録システム（窓口）" }];

/**
 * 監査ログ (auditors only): the municipality's rows, newest first, filtered by staff, resident
 * (its id) or kind; the filters and the purpose are codes and ids, never personal data, so the
 * form is a GET. Reading the log is itself logged. 「改ざん検査」 verifies the hash chains.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["auditor"] });
  const params = new URL(request.url).searchParams;
  const purpose = params.get("purpose");
  const { filters, errors } = parseAuditFilters(params);
  const base = { csrf: staff.csrfToken, filters, errors, purpose: isAuditPurpose(purpose) ? purpose : null };
  if (!isAuditPurpose(purpose) || Object.keys(errors).length > 0) return { ...base, page: null };
  try {
    const page = await readAuditLog(office, staff, purpose, filters);
    return { ...base, page };
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    if (err instanceof AuditQueryError) return { ...base, page: null, errors: { form: err.message } };
    throw err;
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["auditor"] });
  assertCsrf(staff, await request.formData());
  return { verify: await verifyAudit(office, staff) };
}

function Err({ id, text }: { id: string; text: string | undefined }) {
  return (
    <div id={id} className="field-errors">
      {text ? <p className="field-error">{text}</p> : null}
    </div>
  );
}

export default function AuditLog() {
  const { csrf, filters, errors, purpose, page } = useLoaderData<typeof loader>();
  const verified = useActionData<typeof action>();
  const e = errors as Record<string, string | undefined>;
  const next = page?.nextBeforeId
    ? `?${new URLSearchParams({
        purpose: purpose ?? "",
        ...(filters.staffId ? { staffId: filters.staffId } : {}),
        ...(filters.residentId ? { residentId: filters.residentId } : {}),
        ...(filters.action ? { action: filters.action } : {}),
        before: String(page.nextBeforeId),
      })}`
    : null;
  return (
    <>
      <h1>監査ログ</h1>
      <section aria-labelledby="verify">
        <h2 id="verify">改ざん検査（ハッシュチェーンの検証）</h2>
        <Form method="post">
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit" className="button button--secondary">
            監査ログを検証する
          </button>
        </Form>
        {verified ? (
          verified.verify.ok ? (
            <p role="status" className="status-ok">
              検証の結果、改ざんは見つかりませんでした（{verified.verify.rows.toLocaleString("ja-JP")}行を確認
              {verified.verify.unlinked > 0
                ? `、未連結の閲覧記録 ${verified.verify.unlinked}行は次回連結後に検査`
                : ""}
              ）。
            </p>
          ) : (
            <p role="alert" className="status-bad">
              改ざんまたは破損が見つかりました。最初に不整合となった行: ID {verified.verify.firstBrokenId}
              {verified.verify.ownChain
                ? `（${verified.verify.reason}）`
                : "（他の市区町村のチェーンです。システム管理者に連絡してください）"}
            </p>
          )
        ) : null}
      </section>
      <section aria-labelledby="search">
        <h2 id="search">記録の検索</h2>
        <Form method="get">
          <div className="field">
            <label htmlFor="purpose">閲覧の目的</label>
            <select
              id="purpose"
              name="purpose"
              defaultValue={purpose ?? ""}
              aria-describedby="purpose-hint"
              required
            >
              <option value="">選んでください</option>
              {Object.entries(AUDIT_PURPOSES).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
            <p id="purpose-hint" className="hint">
              監査ログの閲覧も、目的とともに記録されます。
            </p>
          </div>
          <div className="field">
            <label htmlFor="staffId">職員ID</label>
            <input
              id="staffId"
              name="staffId"
              defaultValue={filters.staffId ?? ""}
              aria-invalid={e.staffId ? true : undefined}
              aria-describedby={e.staffId ? "staffId-error" : undefined}
            />
            <Err id="staffId-error" text={e.staffId} />
          </div>
          <div className="field">
            <label htmlFor="residentId">住民ID（記録の対象）</label>
            <input
              id="residentId"
              name="residentId"
              defaultValue={filters.residentId ?? ""}
              size={40}
              aria-invalid={e.residentId ? true : undefined}
              aria-describedby={e.residentId ? "residentId-error" : undefined}
            />
            <Err id="residentId-error" text={e.residentId} />
          </div>
          <div className="field">
            <label htmlFor="action">種類</label>
            <input
              id="action"
              name="action"
              list="audit-actions"
              defaultValue={filters.action ?? ""}
              aria-invalid={e.action ? true : undefined}
              aria-describedby={`action-hint${e.action ? " action-error" : ""}`}
            />
            <datalist id="audit-actions">
              {[
                "record.view",
                "reservation.view",
                "search.",
                "myNumber.",
                "command.",
                "audit.view",
                "audit.verify",
                "authorization.refused",
              ].map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
            <p id="action-hint" className="hint">
              例: record.view（閲覧）、command.（異動すべて）、myNumber.（個人番号の利用）
            </p>
            <Err id="action-error" text={e.action} />
          </div>
          <button type="submit" className="button">
            表示
          </button>
        </Form>
        {e.form ? (
          <p role="alert" className="field-error">
            {e.form}
          </p>
        ) : null}
      </section>
      {page ? (
        <section aria-labelledby="rows">
          <h2 id="rows">記録（新しい順、{page.rows.length}件）</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">日時</th>
                <th scope="col">職員・役割</th>
                <th scope="col">種類</th>
                <th scope="col">対象の住民ID</th>
                <th scope="col">目的</th>
                <th scope="col">内容</th>
              </tr>
            </thead>
            <tbody>
              {page.rows.map((r) => (
                <tr key={r.id}>
                  <td>{r.id}</td>
                  <td>{dateTimeJa(r.at)}</td>
                  <td>
                    {r.actor}
                    <br />
                    <span className="kana">{r.role}</span>
                  </td>
                  <td>{r.action}</td>
                  <td>{r.subjectResidentId ?? "—"}</td>
                  <td>{r.purpose ?? "—"}</td>
                  <td>
                    <code className="detail">{JSON.stringify(r.detail)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {next ? <a href={next}>さらに古い記録</a> : <p>これより古い記録はありません。</p>}
        </section>
      ) : null}
    </>
  );
}

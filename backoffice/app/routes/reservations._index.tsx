import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, requireStaff } from "../../auth/session.server";
import { listReservations } from "../../counter/reservations.queries";
import { services } from "../../services.server";
import {
  dateJa,
  fullKana,
  fullName,
  RESERVATION_KIND_LABELS,
  RESERVATION_STATUS_LABELS,
} from "../components/format";

export const meta: MetaFunction = () => [{ title: "予約一覧 | 住民記録システム（窓口）" }];

/**
 * 予約一覧: the municipality's waiting counter reservations (転入予約・転居予約), today's first.
 * The search is a POST (a name must never travel in a URL: it would land in logs and history).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const today = office.today();
  const reservations = await listReservations(office.db, staff.lgCode, today);
  return { today, csrf: staff.csrfToken, reservations };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const form = await request.formData();
  assertCsrf(staff, form);
  const q = String(form.get("q") ?? "").slice(0, 100);
  const includeClosed = form.get("closed") === "1";
  const reservations = await listReservations(office.db, staff.lgCode, office.today(), { q, includeClosed });
  return { q, includeClosed, reservations };
}

function group(visit: string | null, today: string): string {
  if (visit === today) return "本日の来庁予定";
  if (visit === null) return "来庁日の指定なし";
  return visit > today ? "今後の来庁予定" : "来庁予定日を過ぎたもの";
}

export default function Reservations() {
  const loaded = useLoaderData<typeof loader>();
  const searched = useActionData<typeof action>();
  const { today, csrf } = loaded;
  const q = searched?.q ?? "";
  const includeClosed = searched?.includeClosed ?? false;
  const reservations = searched?.reservations ?? loaded.reservations;
  const groups = new Map<string, typeof reservations>();
  for (const r of reservations) {
    const g = group(r.plannedVisitDate, today);
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return (
    <>
      <h1>予約一覧</h1>
      <p>本日: {dateJa(today)}</p>
      <search>
        <Form method="post" className="search-form">
          <input type="hidden" name="csrf" value={csrf} />
          <div className="field">
            <label htmlFor="q">受付番号・申請ID・氏名で検索</label>
            <input id="q" name="q" type="search" defaultValue={q} aria-describedby="q-hint" />
            <p id="q-hint" className="hint">
              氏名は漢字またはカタカナで、一部だけでも検索できます（空白は無視します）。
            </p>
          </div>
          <div className="field">
            <input id="closed" name="closed" type="checkbox" value="1" defaultChecked={includeClosed} />{" "}
            <label htmlFor="closed" style={{ display: "inline" }}>
              完了・取消・期限切れの予約も表示する
            </label>
          </div>
          <button type="submit" className="button">
            検索
          </button>
        </Form>
      </search>
      <p role="status">
        {q ? `「${q}」の検索結果: ` : ""}
        {reservations.length}件
      </p>
      {reservations.length === 0 ? <p>該当する予約はありません。</p> : null}
      {[...groups].map(([title, rows]) => (
        <section key={title} aria-labelledby={`g-${title}`}>
          <h2 id={`g-${title}`}>{title}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">受付番号</th>
                <th scope="col">種別</th>
                <th scope="col">氏名</th>
                <th scope="col">来庁予定日</th>
                <th scope="col">転出（転居）予定日</th>
                <th scope="col">転出元</th>
                <th scope="col">状態</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/reservations/${r.id}`}>
                      {r.receiptNumber ?? `申請ID ${r.applicationId?.slice(0, 8) ?? r.id.slice(0, 8)}`}
                    </a>
                  </td>
                  <td>{RESERVATION_KIND_LABELS[r.kind] ?? r.kind}</td>
                  <td>
                    {r.people.map((p) => (
                      <div key={`${p.residentCode ?? p.residentId}`}>
                        {fullName(p.name)}
                        <span className="kana">（{fullKana(p.name)}）</span>
                      </div>
                    ))}
                  </td>
                  <td>{dateJa(r.plannedVisitDate)}</td>
                  <td>{dateJa(r.plannedMoveOutDate)}</td>
                  <td>{r.kind === "relocation" ? "—" : (r.originName ?? r.originLgCode)}</td>
                  <td>{RESERVATION_STATUS_LABELS[r.status] ?? r.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { notFound, requireStaff } from "../../auth/session.server";
import { viewReservation } from "../../counter/reservations.server";
import { services } from "../../services.server";
import {
  dateJa,
  fullKana,
  fullName,
  RESERVATION_KIND_LABELS,
  RESERVATION_STATUS_LABELS,
  SEX_LABELS,
} from "../components/format";

export const meta: MetaFunction = () => [{ title: "予約の詳細 | 住民記録システム（窓口）" }];

interface CertificateAddress {
  line?: string;
  lgCode?: string;
}
interface CertificatePerson {
  residentCode?: string;
  name?: { family: string; given: string; familyKana: string; givenKana: string };
  birthDate?: string;
  sex?: string;
  householdHead?: boolean;
  householdHeadName?: string;
  relationship?: string;
  honseki?: { address: string; headOfFamily: string };
  nationality?: string;
  residentSince?: string;
  addressSince?: string;
  supportMeasure?: boolean;
}
interface MoveOutCertificate {
  certificateId?: string;
  issuedOn?: string;
  origin?: { lgCode: string; address: CertificateAddress };
  destination?: { lgCode: string; address: CertificateAddress };
  plannedMoveOutDate?: string;
  plannedVisitDate?: string;
  persons?: CertificatePerson[];
}
interface RelocationFiling {
  address?: { town: string; chome: number; block: number; lot: number | null; building: string | null };
  plannedMoveDate?: string;
  filedOn?: string;
}

/**
 * 予約の詳細: the 転出証明書情報 received (転入予約) or the online filing (転居予約) and the
 * people listed, with the next steps (本人確認, completion). The view is audited.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const reservation = await viewReservation(office.db, staff, params.id ?? "");
  if (!reservation) throw notFound("この予約は見つかりませんでした（他の市区町村の予約は表示できません）。");
  const { completion: _completion, ...rest } = reservation;
  const persons =
    reservation.kind === "moveOut"
      ? ((reservation.certificate as MoveOutCertificate).persons ?? []).map(
          // The 個人番号 on the certificate is never sent to the page.
          ({ ...p }: CertificatePerson & { myNumber?: string }) => {
            delete p.myNumber;
            return p as CertificatePerson;
          },
        )
      : [];
  const cert = reservation.kind === "moveOut" ? (reservation.certificate as MoveOutCertificate) : null;
  const filing = reservation.kind === "relocation" ? (reservation.certificate as RelocationFiling) : null;
  return {
    reservation: { ...rest, certificate: undefined },
    certificate: cert
      ? {
          certificateId: cert.certificateId ?? reservation.certificateId,
          issuedOn: cert.issuedOn ?? null,
          originLine: cert.origin?.address.line ?? null,
          destinationLine: cert.destination?.address.line ?? null,
        }
      : null,
    filing: filing
      ? {
          address: filing.address ?? null,
          plannedMoveDate: filing.plannedMoveDate ?? null,
          filedOn: filing.filedOn ?? null,
        }
      : null,
    persons,
    today: office.today(),
  };
}

export default function ReservationDetail() {
  const { reservation: r, certificate, filing, persons, today } = useLoaderData<typeof loader>();
  const label = r.receiptNumber ? `受付番号 ${r.receiptNumber}` : `申請ID ${r.applicationId ?? r.id}`;
  return (
    <>
      <p>
        <a href="/reservations">← 予約一覧へ戻る</a>
      </p>
      <h1>{RESERVATION_KIND_LABELS[r.kind] ?? r.kind}の詳細</h1>
      <dl className="facts">
        <dt>受付</dt>
        <dd>{label}</dd>
        <dt>状態</dt>
        <dd>{RESERVATION_STATUS_LABELS[r.status] ?? r.status}</dd>
        <dt>来庁予定日</dt>
        <dd>
          {dateJa(r.plannedVisitDate)}
          {r.plannedVisitDate === today ? "（本日）" : ""}
        </dd>
        <dt>{r.kind === "relocation" ? "転居予定日" : "転出予定日"}</dt>
        <dd>{dateJa(r.plannedMoveOutDate)}</dd>
        {r.kind === "moveOut" ? (
          <>
            <dt>転出元</dt>
            <dd>{r.originName ?? r.originLgCode}</dd>
          </>
        ) : null}
      </dl>

      {r.status === "waiting" ? (
        <section aria-labelledby="next-steps">
          <h2 id="next-steps">窓口での手続き</h2>
          <ol>
            <li>
              <a href={`/reservations/${r.id}/identity`}>本人確認（マイナンバーカード）</a>
            </li>
            <li>
              <a href={`/reservations/${r.id}/complete`}>
                {r.kind === "relocation" ? "転居を確定する" : "転入を確定する"}
              </a>
            </li>
          </ol>
        </section>
      ) : r.status === "completed" ? (
        <p>
          この予約は完了しています。<a href={`/reservations/${r.id}/complete`}>送信状況を見る</a>
        </p>
      ) : null}

      {certificate ? (
        <section aria-labelledby="cert">
          <h2 id="cert">転出証明書情報</h2>
          <dl className="facts">
            <dt>転出証明書情報の番号</dt>
            <dd>{certificate.certificateId}</dd>
            <dt>交付日</dt>
            <dd>{dateJa(certificate.issuedOn)}</dd>
            <dt>転出元の住所</dt>
            <dd>{certificate.originLine ?? "—"}</dd>
            <dt>転出先の住所（届出のとおり）</dt>
            <dd>{certificate.destinationLine ?? "—"}</dd>
          </dl>
        </section>
      ) : null}
      {filing ? (
        <section aria-labelledby="filing">
          <h2 id="filing">転居届（オンライン）の内容</h2>
          <dl className="facts">
            <dt>新しい住所</dt>
            <dd>
              {filing.address
                ? `${filing.address.town}${filing.address.chome > 0 ? `${filing.address.chome}丁目` : ""}${filing.address.block}番${filing.address.lot ? `${filing.address.lot}号` : ""}${filing.address.building ? ` ${filing.address.building}` : ""}`
                : "—"}
            </dd>
            <dt>届出日</dt>
            <dd>{dateJa(filing.filedOn)}</dd>
          </dl>
        </section>
      ) : null}

      <section aria-labelledby="people">
        <h2 id="people">記載されている方</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">氏名</th>
              <th scope="col">生年月日</th>
              <th scope="col">性別</th>
              <th scope="col">続柄</th>
              {certificate ? (
                <>
                  <th scope="col">本籍・筆頭者</th>
                  <th scope="col">住民となった日</th>
                  <th scope="col">支援措置</th>
                </>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {certificate
              ? persons.map((p) => (
                  <tr key={p.residentCode}>
                    <td>
                      {fullName(p.name)}
                      <br />
                      <span className="kana">{fullKana(p.name)}</span>
                    </td>
                    <td>{dateJa(p.birthDate)}</td>
                    <td>{SEX_LABELS[p.sex ?? ""] ?? p.sex}</td>
                    <td>
                      {p.relationship}
                      {p.householdHead ? "（世帯主）" : ""}
                    </td>
                    <td>{p.honseki ? `${p.honseki.address}（筆頭者 ${p.honseki.headOfFamily}）` : "—"}</td>
                    <td>{dateJa(p.residentSince)}</td>
                    <td>{p.supportMeasure ? <strong>対象</strong> : "—"}</td>
                  </tr>
                ))
              : r.people.map((p) => (
                  <tr key={p.residentId ?? p.residentCode}>
                    <td>
                      {p.residentId ? (
                        <a href={`/records/${p.residentId}`}>{fullName(p.name)}</a>
                      ) : (
                        fullName(p.name)
                      )}
                      <br />
                      <span className="kana">{fullKana(p.name)}</span>
                    </td>
                    <td>{dateJa(p.birthDate)}</td>
                    <td>{SEX_LABELS[p.sex ?? ""] ?? p.sex}</td>
                    <td>{p.relationship}</td>
                  </tr>
                ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

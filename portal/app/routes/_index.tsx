import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { listApplications } from "../../applications/applications.queries";
import { eligibility } from "../../applications/applications.server";
import { municipalityLabel } from "../../applications/schema";
import { getSession } from "../../auth/session.server";
import { services } from "../../services.server";
import { formatDate } from "../components/format";
import { StatusBadge } from "../components/status";
import { isMessageKey, type MessageKey, useT } from "../i18n";

export const meta: MetaFunction = () => [
  { title: "引越しワンストップサービス" },
  {
    name: "description",
    content:
      "マイナンバーカードを使って、転出届と引越し先への転入（転居）予約をオンラインでまとめて行えます。",
  },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const portal = services(context);
  const login = new URL(request.url).searchParams.get("login");
  const notice = login && isMessageKey(`home.login.${login}`) ? (`home.login.${login}` as MessageKey) : null;
  const session = await getSession(portal, request);
  if (!session) return { notice, resident: null };
  const applications = await listApplications(portal.db, session.holderSub);
  const allowed = eligibility(portal, session);
  return {
    notice,
    resident: {
      name: session.claims.name ?? "",
      block: allowed.ok ? null : allowed.block,
      applications: applications.map((a) => ({
        id: a.id,
        receiptNumber: a.receiptNumber,
        kind: a.kind,
        destination: municipalityLabel(a.destinationLgCode),
        status: a.status,
        plannedMoveDate: a.plannedMoveDate,
      })),
    },
  };
}

export default function Index() {
  const { notice, resident } = useLoaderData<typeof loader>();
  const { t, lang } = useT();
  if (!resident) {
    return (
      <>
        <h1>{t("home.title")}</h1>
        {notice ? (
          <p className="notice" role="status">
            {t(notice)}
          </p>
        ) : null}
        <p>{t("home.intro1")}</p>
        <p>{t("home.intro2")}</p>
        <h2>{t("home.bring")}</h2>
        <ul>
          <li>{t("home.bring.card")}</li>
          <li>{t("home.bring.authPin")}</li>
          <li>{t("home.bring.signPin")}</li>
        </ul>
        {/* A GET form: a real button that works without JavaScript and leaves through a redirect. */}
        <form method="get" action="/auth/login" className="login-form">
          <button type="submit" className="button button--primary" aria-describedby="login-hint">
            {t("home.login")}
          </button>
          <p id="login-hint" className="hint">
            {t("home.loginHint")}
          </p>
        </form>
      </>
    );
  }
  return (
    <>
      <h1>{t("home.welcome", { name: resident.name })}</h1>
      {notice ? (
        <p className="notice" role="status">
          {t(notice)}
        </p>
      ) : null}
      {resident.block ? (
        <section className="alert" aria-labelledby="block-title">
          <h2 id="block-title">{t("block.title")}</h2>
          <p>{t(`block.${resident.block}`)}</p>
        </section>
      ) : (
        <section aria-labelledby="start-title">
          <h2 id="start-title">{t("home.start")}</h2>
          <ul className="actions">
            <li>
              <Link to="/move-out" className="button button--primary">
                {t("home.moveOut")}
              </Link>
            </li>
            <li>
              <Link to="/relocation" className="button">
                {t("home.relocation")}
              </Link>
            </li>
          </ul>
        </section>
      )}
      <section aria-labelledby="applications-title">
        <h2 id="applications-title">{t("home.applications")}</h2>
        {resident.applications.length === 0 ? (
          <p>{t("home.noApplications")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("home.col.receipt")}</th>
                <th scope="col">{t("home.col.kind")}</th>
                <th scope="col">{t("home.col.destination")}</th>
                <th scope="col">{t("home.col.moveDate")}</th>
                <th scope="col">{t("home.col.status")}</th>
              </tr>
            </thead>
            <tbody>
              {resident.applications.map((a) => (
                <tr key={a.id}>
                  <td>
                    {a.receiptNumber ? (
                      <Link to={`/applications/${a.id}`}>{a.receiptNumber}</Link>
                    ) : (
                      <Link to={`/applications/${a.id}/review`}>{t("home.continueDraft")}</Link>
                    )}
                  </td>
                  <td>{t(`kind.${a.kind}`)}</td>
                  <td>{a.destination}</td>
                  <td>{formatDate(lang, a.plannedMoveDate)}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

import type { ApplicationDocument } from "../../applications/document";
import { useT } from "../i18n";
import { formatDate } from "./format";

/** The application as the resident entered it (review page and status page). */
export function ApplicationSummary({ doc }: { doc: ApplicationDocument }) {
  const { t, lang } = useT();
  const d = doc.destination;
  const address = `${d.name}${d.town}${d.chome ? `${d.chome}丁目` : ""}${d.block}番${d.lot ? `${d.lot}号` : ""}${
    d.building ? ` ${d.building}` : ""
  }`;
  return (
    <>
      <dl className="summary">
        <dt>{t("home.col.kind")}</dt>
        <dd>{t(`kind.${doc.kind}`)}</dd>
        <dt>{t("form.filer.address")}</dt>
        <dd>{doc.origin.addressLine}</dd>
        <dt>
          {t(doc.kind === "moveOut" ? "form.plannedMoveDate.moveOut" : "form.plannedMoveDate.relocation")}
        </dt>
        <dd>{formatDate(lang, doc.plannedMoveDate)}</dd>
        <dt>{t(doc.kind === "moveOut" ? "form.address" : "form.address.relocation")}</dt>
        <dd>{address}</dd>
        <dt>{t("form.plannedVisitDate")}</dt>
        <dd>{formatDate(lang, doc.plannedVisitDate)}</dd>
        <dt>{t("form.phone")}</dt>
        <dd>{doc.contact.phone}</dd>
        <dt>{t("form.email")}</dt>
        <dd>{doc.contact.email}</dd>
      </dl>
      <h2>{t("form.people")}</h2>
      {doc.existingHouseholdHead ? (
        <p>
          {t("review.householdHeadExisting", {
            name: `${doc.existingHouseholdHead.familyName} ${doc.existingHouseholdHead.givenName}`,
          })}
        </p>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t("form.filer.name")}</th>
            <th scope="col">{t("form.birthDate")}</th>
            <th scope="col">{t("form.relationship")}</th>
            <th scope="col">{t("form.cardContinuedUse")}</th>
          </tr>
        </thead>
        <tbody>
          {doc.members.map((m) => (
            <tr key={m.position}>
              <td>
                {m.familyName} {m.givenName}
                <br />
                <span className="kana">
                  {m.familyKana} {m.givenKana}
                </span>
              </td>
              <td>{formatDate(lang, m.birthDate)}</td>
              <td>{t(`rel.${m.relationship}`)}</td>
              <td>{t(m.cardContinuedUse ? "review.yes" : "review.no")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

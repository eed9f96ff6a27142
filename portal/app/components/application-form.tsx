import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useMemo } from "react";
import { holidaySet } from "../../applications/business-days";
import type { applicationFormLoader } from "../../applications/form.server";
import { municipalities, resolveMunicipality } from "../../applications/municipalities";
import { applicationFormSchema, MAX_MEMBERS, RELATIONSHIPS } from "../../applications/schema";
import { translateError, useT } from "../i18n";
import { CheckboxField, FieldErrors, Fieldset, SelectField, TextField } from "./fields";
import { formatDate } from "./format";

/**
 * The 転出届 + 転入予約 / 転居予約 form. Without JavaScript it is a plain form: the server checks it
 * with the same schema and answers with the errors next to the fields (adding or removing a
 * person is a submit button too). With JavaScript, Conform checks each field as you type.
 */
export function ApplicationFormPage() {
  const data = useLoaderData<typeof applicationFormLoader>();
  const { t } = useT();
  if (data.block || !data.rules) {
    return (
      <>
        <h1>{t(`form.${data.kind}.title`)}</h1>
        <section className="alert" aria-labelledby="block-title">
          <h2 id="block-title">{t("block.title")}</h2>
          <p>{t(`block.${data.block ?? "unknownOrigin"}`)}</p>
        </section>
        <p>
          <Link to="/">{t("site.home")}</Link>
        </p>
      </>
    );
  }
  return <ApplicationForm rules={data.rules} />;
}

type Rules = NonNullable<ReturnType<typeof useLoaderData<typeof applicationFormLoader>>["rules"]>;

function ApplicationForm({ rules }: { rules: Rules }) {
  const data = useLoaderData<typeof applicationFormLoader>();
  const lastResult = useActionData();
  const { t, lang } = useT();
  const kind = data.kind;
  const schema = useMemo(
    () =>
      applicationFormSchema({
        kind,
        today: rules.today,
        originLgCode: rules.originLgCode,
        isHoliday: holidaySet(rules.holidays),
        hosted: rules.hosted,
      }),
    [kind, rules],
  );
  const [form, fields] = useForm({
    id: `application-${kind}`,
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: lastResult as any,
    defaultValue: data.defaultValue ?? { filerRelationship: "head", filerCardContinuedUse: true },
    constraint: getZodConstraint(schema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  });
  const members = fields.members.getFieldList();
  const destinationValue = typeof fields.destination.value === "string" ? fields.destination.value : "";
  const destinationLgCode =
    kind === "relocation"
      ? rules.originLgCode
      : (() => {
          const m = resolveMunicipality(destinationValue);
          return m.kind === "found" ? m.municipality.lgCode : undefined;
        })();
  const towns = rules.hosted.find((h) => h.lgCode === destinationLgCode)?.towns ?? [];
  const relationshipOptions = RELATIONSHIPS.map((r) => ({ value: r, label: t(`rel.${r}`) }));
  const householdErrors = form.allErrors.householdHead;
  const hasErrors = form.status === "error" && Object.keys(form.allErrors).length > 0;

  return (
    <>
      <h1>{t(`form.${kind}.title`)}</h1>
      <p>{t(`form.${kind}.intro`)}</p>
      <p className="hint">{t("form.requiredNote")}</p>
      {hasErrors ? (
        <div className="alert" role="alert" id={`${form.id}-summary`}>
          <p>{t("form.errorSummary")}</p>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="application-form">
        <input type="hidden" name="csrf" value={data.csrf} />
        {data.draftId ? <input type="hidden" name="draftId" value={data.draftId} /> : null}

        <Fieldset legend={t("form.filer")}>
          <dl className="summary">
            <dt>{t("form.filer.name")}</dt>
            <dd>
              {data.filer.name}
              {data.filer.nameKana ? <span className="kana">（{data.filer.nameKana}）</span> : null}
            </dd>
            <dt>{t("form.filer.address")}</dt>
            <dd>{data.filer.address}</dd>
            <dt>{t("form.filer.birthDate")}</dt>
            <dd>{formatDate(lang, data.filer.birthDate)}</dd>
          </dl>
        </Fieldset>

        <Fieldset legend={t("form.move")}>
          <TextField
            meta={fields.plannedMoveDate}
            label={kind === "moveOut" ? "form.plannedMoveDate.moveOut" : "form.plannedMoveDate.relocation"}
            hint="form.plannedMoveDate.hint"
            type="date"
          />
          {kind === "moveOut" ? (
            <>
              <TextField
                meta={fields.destination}
                label="form.destination"
                hint="form.destination.hint"
                list="municipality-options"
                autoComplete="off"
              />
              <datalist id="municipality-options">
                {municipalities.map((m) => (
                  <option key={m.lgCode} value={m.label}>
                    {m.nameKana}
                  </option>
                ))}
              </datalist>
            </>
          ) : null}
        </Fieldset>

        <Fieldset legend={t(kind === "moveOut" ? "form.address" : "form.address.relocation")}>
          <TextField
            meta={fields.town}
            label="form.town"
            hint="form.town.hint"
            {...(towns.length ? { list: "town-options" } : {})}
            autoComplete="off"
          />
          {towns.length ? (
            <datalist id="town-options">
              {towns.map((town) => (
                <option key={town.name} value={town.name} />
              ))}
            </datalist>
          ) : null}
          <div className="field-row">
            <TextField meta={fields.chome} label="form.chome" hint="form.chome.hint" type="number" optional />
            <TextField meta={fields.block} label="form.block" type="number" />
            <TextField meta={fields.lot} label="form.lot" type="number" optional />
          </div>
          <TextField meta={fields.building} label="form.building" optional />
        </Fieldset>

        <Fieldset
          legend={t("form.people")}
          {...(householdErrors?.length ? { describedBy: `${form.id}-household-errors` } : {})}
        >
          <p className="hint">{t("form.people.hint")}</p>
          <p className="hint">{t("form.household.hint")}</p>
          <div className="person">
            <h3>
              {t("form.filerRow")}：{data.filer.name}
            </h3>
            <SelectField
              meta={fields.filerRelationship}
              label="form.relationship"
              options={relationshipOptions}
            />
            <CheckboxField meta={fields.filerCardContinuedUse} label="form.cardContinuedUse" />
          </div>
          {members.map((member, index) => {
            const m = member.getFieldset();
            return (
              <div className="person" key={member.key}>
                <h3>{t("form.member", { n: String(index + 1) })}</h3>
                <div className="field-row">
                  <TextField meta={m.familyName} label="form.familyName" autoComplete="off" />
                  <TextField meta={m.givenName} label="form.givenName" autoComplete="off" />
                </div>
                <div className="field-row">
                  <TextField meta={m.familyKana} label="form.familyKana" autoComplete="off" />
                  <TextField meta={m.givenKana} label="form.givenKana" autoComplete="off" />
                </div>
                <TextField meta={m.birthDate} label="form.birthDate" type="date" />
                <SelectField meta={m.relationship} label="form.relationship" options={relationshipOptions} />
                <CheckboxField meta={m.cardContinuedUse} label="form.cardContinuedUse" />
                <button
                  className="button button--secondary"
                  {...form.remove.getButtonProps({ name: fields.members.name, index })}
                >
                  {t("form.member.remove")}
                  <span className="visually-hidden">（{t("form.member", { n: String(index + 1) })}）</span>
                </button>
              </div>
            );
          })}
          {members.length < MAX_MEMBERS ? (
            <button
              className="button button--secondary"
              {...form.insert.getButtonProps({
                name: fields.members.name,
                defaultValue: { relationship: "", cardContinuedUse: true },
              })}
            >
              {t("form.member.add")}
            </button>
          ) : null}
          <FieldErrors id={fields.members.errorId} errors={fields.members.errors} />
          <h3>{t("form.household")}</h3>
          <CheckboxField meta={fields.joinExisting} label="form.joinExisting" />
          <div className="field-row">
            <TextField meta={fields.existingHeadFamilyName} label="form.existingHeadFamilyName" optional />
            <TextField meta={fields.existingHeadGivenName} label="form.existingHeadGivenName" optional />
          </div>
          <div
            id={`${form.id}-household-errors`}
            className="field-errors"
            role={householdErrors?.length ? "alert" : undefined}
          >
            {householdErrors?.length ? (
              <ul>
                {householdErrors.map((e) => (
                  <li key={e}>{translateError(lang, e)}</li>
                ))}
              </ul>
            ) : null}
          </div>
        </Fieldset>

        <Fieldset legend={t("form.contact")}>
          <TextField
            meta={fields.phone}
            label="form.phone"
            hint="form.phone.hint"
            type="tel"
            autoComplete="tel"
          />
          <TextField meta={fields.email} label="form.email" type="email" autoComplete="email" />
        </Fieldset>

        <Fieldset legend={t("form.visit")}>
          <TextField
            meta={fields.plannedVisitDate}
            label="form.plannedVisitDate"
            hint="form.plannedVisitDate.hint"
            type="date"
          />
        </Fieldset>

        <button type="submit" className="button button--primary">
          {t("form.next")}
        </button>
      </Form>
    </>
  );
}

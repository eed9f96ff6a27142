import {
  type FieldMetadata,
  type FormMetadata,
  getFormProps,
  getInputProps,
  getSelectProps,
  getTextareaProps,
  type SubmissionResult,
  useForm,
} from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { Form } from "@remix-run/react";
import { type ReactNode, useEffect, useMemo } from "react";
import type { z } from "zod";
import { FOREIGNER_CATEGORIES } from "../../register/record";
import { CHANGE_FORMS, type ChangeFormKind, RELATIONSHIP_SUGGESTIONS } from "./kinds";
import { type FormContext, formSchema } from "./schema";

/**
 * Controls of the counter forms, accessible and working without JavaScript: each field has its
 * label, its hint and its errors tied by aria-describedby (errors only while there are some),
 * aria-invalid on a field in error, fieldsets with legends for groups, and an error summary
 * above the form whose links lead to the fields. With JavaScript, Conform checks as you type and
 * the first field in error gets the focus.
 */

// biome-ignore lint/suspicious/noExplicitAny: any field of any form
type Meta = FieldMetadata<any, any, any>;

/** The fields of a group, and the items of a list (loosely typed: these controls serve every form). */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Fields = Record<string, any>;
function fieldset(meta: Meta): Fields {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  return (meta as any).getFieldset() as Fields;
}
function fieldList(meta: Meta): Meta[] {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  return (meta as any).getFieldList() as Meta[];
}

function describedBy(meta: Meta, hintId?: string): string | undefined {
  const ids = [hintId, meta.errors?.length ? meta.errorId : undefined].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

export function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  return (
    <div id={id} className="field-error">
      {errors?.length ? (
        <ul>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function TextField(props: {
  meta: Meta;
  label: string;
  hint?: string;
  type?: "text" | "date" | "number";
  optional?: boolean;
  list?: string;
  autoComplete?: string;
}) {
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  // type=number would turn "1a" into "" silently; text + inputmode keeps what was typed.
  const { key, ...inputProps } = getInputProps(meta, {
    type: props.type === "number" ? "text" : (props.type ?? "text"),
  });
  return (
    <div className="field">
      <label htmlFor={meta.id}>
        {props.label}
        {props.optional ? <span className="hint">（任意）</span> : null}
      </label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <input
        key={key}
        {...inputProps}
        aria-describedby={describedBy(meta, hintId)}
        {...(props.type === "number" ? { inputMode: "numeric" as const } : {})}
        {...(props.list ? { list: props.list } : {})}
        autoComplete={props.autoComplete ?? "off"}
      />
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function TextArea(props: { meta: Meta; label: string; hint?: string }) {
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  const { key, ...textareaProps } = getTextareaProps(meta);
  return (
    <div className="field">
      <label htmlFor={meta.id}>{props.label}</label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <textarea
        key={key}
        {...textareaProps}
        rows={3}
        cols={60}
        aria-describedby={describedBy(meta, hintId)}
      />
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function SelectField(props: {
  meta: Meta;
  label: string;
  options: readonly { value: string; label: string }[];
  hint?: string;
  optional?: boolean;
}) {
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  const { key, ...selectProps } = getSelectProps(meta);
  return (
    <div className="field">
      <label htmlFor={meta.id}>
        {props.label}
        {props.optional ? <span className="hint">（任意）</span> : null}
      </label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <select key={key} {...selectProps} aria-describedby={describedBy(meta, hintId)}>
        <option value="">選んでください</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function Fieldset({ legend, children, meta }: { legend: string; children: ReactNode; meta?: Meta }) {
  const errorsHere = meta?.errors?.length ? meta : undefined;
  return (
    <fieldset
      className="fieldset"
      {...(meta ? { id: meta.id } : {})}
      {...(errorsHere ? { "aria-describedby": errorsHere.errorId } : {})}
    >
      <legend>{legend}</legend>
      {meta ? <FieldErrors id={meta.errorId} errors={meta.errors} /> : null}
      {children}
    </fieldset>
  );
}

export const SEX_OPTIONS = [
  { value: "male", label: "男" },
  { value: "female", label: "女" },
] as const;

export function RelationshipOptions() {
  return (
    <datalist id="relationship-options">
      {RELATIONSHIP_SUGGESTIONS.map((r) => (
        <option key={r} value={r} />
      ))}
    </datalist>
  );
}

export function TownOptions({ towns }: { towns: FormContext["towns"] }) {
  return (
    <datalist id="town-options">
      {towns.map((t) => (
        <option key={t.name} value={t.name} />
      ))}
    </datalist>
  );
}

/** 住所 in the municipality (town from the world file's list, 丁目・番・号, 方書). */
export function AddressFields({ meta, legend }: { meta: Meta; legend: string }) {
  const a = fieldset(meta);
  return (
    <Fieldset legend={legend} meta={meta}>
      <TextField
        meta={a.town}
        label="町名"
        hint="この市区町村の町名を入力します（候補から選べます）"
        list="town-options"
      />
      <TextField meta={a.chome} label="丁目" type="number" optional hint="丁目のない町は空欄" />
      <TextField meta={a.block} label="番" type="number" />
      <TextField meta={a.lot} label="号" type="number" optional />
      <TextField meta={a.building} label="方書（建物名・部屋番号）" optional />
    </Fieldset>
  );
}

/** A person entering the register; `codes` says whether 住民票コード and 個人番号 are asked. */
export function PersonFields({
  meta,
  legend,
  codes,
}: {
  meta: Meta;
  legend: string;
  codes: "required" | "optional" | "none";
}) {
  const p = fieldset(meta);
  const name = fieldset(p.name);
  const honseki = fieldset(p.honseki);
  const f = fieldset(p.foreigner);
  return (
    <Fieldset legend={legend} meta={meta}>
      <TextField meta={name.family} label="氏" />
      <TextField meta={name.given} label="名" />
      <TextField meta={name.familyKana} label="氏のフリガナ" hint="全角カタカナ" />
      <TextField meta={name.givenKana} label="名のフリガナ" hint="全角カタカナ" />
      <TextField meta={p.birthDate} label="生年月日" type="date" />
      <SelectField meta={p.sex} label="性別" options={SEX_OPTIONS} />
      <TextField
        meta={p.relationship}
        label="世帯主との続柄"
        list="relationship-options"
        hint="例: 世帯主、妻、子"
      />
      {codes !== "none" ? (
        <>
          <TextField
            meta={p.residentCode}
            label="住民票コード"
            optional={codes === "optional"}
            hint="11 桁の半角数字"
          />
          <TextField
            meta={p.myNumber}
            label="個人番号"
            optional={codes === "optional"}
            hint="12 桁の半角数字"
          />
        </>
      ) : (
        <TextField
          meta={p.myNumber}
          label="個人番号"
          optional
          hint="指定されている場合のみ（12 桁の半角数字）"
        />
      )}
      <TextField
        meta={p.nationality}
        label="国籍・地域"
        hint="日本は JP、それ以外は英大文字 2 文字のコード（例: VN）"
      />
      <Fieldset legend="本籍（日本国籍の方）">
        <TextField meta={honseki.address} label="本籍" />
        <TextField meta={honseki.headOfFamily} label="筆頭者" />
      </Fieldset>
      <Fieldset legend="外国人住民の項目（外国籍の方）">
        <SelectField
          meta={f.category}
          label="区分"
          optional
          options={FOREIGNER_CATEGORIES.map((c) => ({ value: c, label: c }))}
        />
        <TextField meta={f.becameResidentOn} label="外国人住民となった年月日" type="date" optional />
        <TextField meta={f.status} label="在留資格" optional />
        <TextField meta={f.periodOfStay} label="在留期間" optional />
        <TextField meta={f.periodExpiresOn} label="在留期間の満了の日（期間の末日）" type="date" optional />
        <TextField meta={f.residenceCardNumber} label="在留カードの番号" optional />
        <TextField
          meta={f.specialPermanentResidentCertificateNumber}
          label="特別永住者証明書の番号"
          optional
        />
        <TextField meta={f.alias} label="通称" optional />
      </Fieldset>
    </Fieldset>
  );
}

/** The people of a 転入・職権記載, with add/remove buttons that work without JavaScript too. */
export function PersonRows({
  form,
  meta,
  codes,
}: {
  // biome-ignore lint/suspicious/noExplicitAny: any form
  form: FormMetadata<any, string[]>;
  meta: Meta;
  codes: "required" | "optional";
}) {
  const rows = fieldList(meta);
  return (
    <Fieldset legend="異動する方" meta={meta}>
      {rows.map((row, i) => (
        <div key={row.key}>
          <PersonFields meta={row} legend={`${i + 1}人目`} codes={codes} />
          {rows.length > 1 ? (
            <button
              type="submit"
              className="button button--secondary"
              {...form.remove.getButtonProps({ name: meta.name, index: i })}
            >
              {i + 1}人目を削除
            </button>
          ) : null}
        </div>
      ))}
      <button
        type="submit"
        className="button button--secondary"
        {...form.insert.getButtonProps({ name: meta.name, defaultValue: { nationality: "JP" } as never })}
      >
        1人追加
      </button>
    </Fieldset>
  );
}

/** New household at an address, or joining the household of a resident named by 住民票コード. */
export function HouseholdFields({ meta, address }: { meta: Meta; address: Meta }) {
  const h = fieldset(meta);
  return (
    <>
      <Fieldset legend="世帯" meta={meta}>
        <SelectField
          meta={h.kind}
          label="世帯の指定"
          options={[
            { value: "new", label: "新しい世帯をつくる（住所を入力）" },
            { value: "join", label: "既存の世帯に加わる（世帯の方の住民票コードを入力）" },
          ]}
        />
        <TextField
          meta={h.memberCode}
          label="加入する世帯の方の住民票コード"
          optional
          hint="既存の世帯に加わるときのみ。住民検索で確認できます"
        />
      </Fieldset>
      <AddressFields meta={address} legend="新しい世帯の住所（新しい世帯をつくるときのみ）" />
    </>
  );
}

/** Rows of 住民票コード + 続柄, with add/remove buttons that work without JavaScript too. */
export function RelationshipRows({
  form,
  meta,
  legend,
  hint,
}: {
  // biome-ignore lint/suspicious/noExplicitAny: any form
  form: FormMetadata<any, string[]>;
  meta: Meta;
  legend: string;
  hint: string;
}) {
  const rows = fieldList(meta);
  return (
    <Fieldset legend={legend} meta={meta}>
      <p className="hint">{hint}</p>
      {rows.map((row, i) => {
        const r = fieldset(row);
        return (
          <div key={row.key} className="row-group">
            <TextField meta={r.residentCode} label={`${i + 1}人目の住民票コード`} />
            <TextField meta={r.relationship} label={`${i + 1}人目の新しい続柄`} list="relationship-options" />
            <button
              type="submit"
              className="button button--secondary"
              {...form.remove.getButtonProps({ name: meta.name, index: i })}
            >
              {i + 1}人目を削除
            </button>
          </div>
        );
      })}
      <button
        type="submit"
        className="button button--secondary"
        {...form.insert.getButtonProps({ name: meta.name })}
      >
        1人追加
      </button>
    </Fieldset>
  );
}

/** A list of 住民票コード (the residents a 国外転出 or 職権消除 concerns). */
export function CodeRows({
  form,
  meta,
  legend,
}: {
  // biome-ignore lint/suspicious/noExplicitAny: any form
  form: FormMetadata<any, string[]>;
  meta: Meta;
  legend: string;
}) {
  const rows = fieldList(meta);
  return (
    <Fieldset legend={legend} meta={meta}>
      {rows.map((row, i) => (
        <div key={row.key} className="row-group">
          <TextField meta={row} label={`${i + 1}人目の住民票コード`} hint="11 桁の半角数字" />
          {rows.length > 1 ? (
            <button
              type="submit"
              className="button button--secondary"
              {...form.remove.getButtonProps({ name: meta.name, index: i })}
            >
              {i + 1}人目を削除
            </button>
          ) : null}
        </div>
      ))}
      <button
        type="submit"
        className="button button--secondary"
        {...form.insert.getButtonProps({ name: meta.name })}
      >
        1人追加
      </button>
    </Fieldset>
  );
}

export interface ChangeFormData {
  kind: ChangeFormKind;
  csrf: string;
  requestKey: string;
  today: string;
  towns: FormContext["towns"];
  defaultValue?: Record<string, unknown>;
}

/** Conform for a counter form: the same schema as the action, checked as you type. */
export function useChangeForm<K extends ChangeFormKind>(
  data: ChangeFormData & { kind: K },
  lastResult: unknown,
) {
  const schema = useMemo(
    () => formSchema(data.kind, { today: data.today, towns: data.towns }) as z.ZodTypeAny,
    [data.kind, data.today, data.towns],
  );
  const result = useForm({
    id: `change-${data.kind}`,
    lastResult: lastResult as SubmissionResult<string[]> | undefined,
    defaultValue: { requestKey: data.requestKey, ...(data.defaultValue ?? {}) },
    constraint: getZodConstraint(schema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  });
  const [form, fields] = result;
  return [form, fields as Fields] as const;
}

/** Every error of the form, as links to the fields (the summary above the form). */
// biome-ignore lint/suspicious/noExplicitAny: any form
function allErrors(form: FormMetadata<any, string[]>): { name: string; message: string }[] {
  const out: { name: string; message: string }[] = [];
  for (const [name, messages] of Object.entries(form.allErrors)) {
    for (const m of messages) out.push({ name, message: m });
  }
  return out;
}

/** The page frame of a counter form: title, error summary, CSRF and request key, submit button. */
export function ChangeFormFrame({
  data,
  form,
  children,
  submitLabel,
}: {
  data: ChangeFormData;
  // biome-ignore lint/suspicious/noExplicitAny: any form
  form: FormMetadata<any, string[]>;
  children: ReactNode;
  submitLabel?: string;
}) {
  const info = CHANGE_FORMS[data.kind];
  const errors = allErrors(form);
  const formErrors = form.errors ?? [];
  // With JavaScript: after a refused submit, the focus goes to the first field in error.
  useEffect(() => {
    if (form.status !== "error") return;
    const first = document.querySelector<HTMLElement>(`#${CSS.escape(form.id)} [aria-invalid="true"]`);
    (first ?? document.getElementById(`${form.id}-summary`))?.focus();
  }, [form.status, form.id]);
  return (
    <>
      <h1>{info.title}</h1>
      <p>{info.description}</p>
      <p className="hint">「（任意）」のない項目は必須です。日付は 2026-11-26 の形で入力します。</p>
      {errors.length > 0 ? (
        <div className="banner-warning" role="alert" id={`${form.id}-summary`} tabIndex={-1}>
          <p>入力内容を確認してください（{errors.length}件）。</p>
          {formErrors.length > 0 ? (
            <ul id={form.errorId}>
              {formErrors.map((m: string) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
          <ul>
            {errors
              .filter((e) => e.name !== "")
              .map((e) => (
                <li key={`${e.name}:${e.message}`}>
                  <a href={`#${form.id}-${e.name}`}>{e.message}</a>
                </li>
              ))}
          </ul>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} noValidate>
        <input type="hidden" name="csrf" value={data.csrf} />
        <input type="hidden" name="requestKey" value={data.requestKey} />
        <RelationshipOptions />
        <TownOptions towns={data.towns} />
        {children}
        <p>
          <button type="submit" className="button">
            {submitLabel ?? (info.needsApproval ? "承認を申請する" : "登録する")}
          </button>
        </p>
      </Form>
      <p>
        <a href="/changes">異動届の一覧へ戻る</a>・
        <a href="/changes/search">住民を検索して住民票コードを確認する</a>
      </p>
    </>
  );
}

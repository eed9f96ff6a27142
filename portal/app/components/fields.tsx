import { type FieldMetadata, getInputProps, getSelectProps } from "@conform-to/react";
import type { ReactNode } from "react";
import { type MessageKey, translateError, useT } from "../i18n";

/**
 * Form controls with their label, hint and errors tied together: the hint and the error list
 * are named by aria-describedby, aria-invalid marks a field in error, and the errors are real
 * text next to the field (Japanese or English), not colour alone.
 */

export function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  const { lang } = useT();
  return (
    <div id={id} className="field-errors">
      {errors?.length ? (
        <ul>
          {errors.map((e) => (
            <li key={e}>{translateError(lang, e)}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface TextFieldProps {
  // biome-ignore lint/suspicious/noExplicitAny: any field of any form
  meta: FieldMetadata<any, any, any>;
  label: MessageKey;
  hint?: MessageKey | undefined;
  type?: "text" | "date" | "email" | "tel" | "number";
  optional?: boolean;
  list?: string;
  autoComplete?: string;
  inputMode?: "numeric" | "text" | "tel" | "email";
  min?: string;
  max?: string;
  className?: string;
}

export function TextField(props: TextFieldProps) {
  const { t } = useT();
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  // type=number would turn "1a" into "" silently; text + inputmode keeps what was typed.
  const inputType = props.type === "number" ? "text" : (props.type ?? "text");
  const { key, ...inputProps } = getInputProps(meta, {
    type: inputType,
    ...(hintId ? { ariaDescribedBy: hintId } : {}),
  });
  return (
    <div className={`field ${props.className ?? ""}`}>
      <label htmlFor={meta.id}>
        {t(props.label)}
        {props.optional ? <span className="optional">（{t("form.optional")}）</span> : null}
      </label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {t(props.hint)}
        </p>
      ) : null}
      <input
        key={key}
        {...inputProps}
        aria-describedby={describedBy(meta, hintId)}
        {...(props.list ? { list: props.list } : {})}
        {...(props.autoComplete ? { autoComplete: props.autoComplete } : {})}
        {...(props.type === "number" ? { inputMode: "numeric" as const } : {})}
        {...(props.inputMode ? { inputMode: props.inputMode } : {})}
        {...(props.min ? { min: props.min } : {})}
        {...(props.max ? { max: props.max } : {})}
      />
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

interface SelectFieldProps {
  // biome-ignore lint/suspicious/noExplicitAny: any field of any form
  meta: FieldMetadata<any, any, any>;
  label: MessageKey;
  options: { value: string; label: string }[];
  hint?: MessageKey | undefined;
}

export function SelectField(props: SelectFieldProps) {
  const { t } = useT();
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  const { key, ...selectProps } = getSelectProps(meta, hintId ? { ariaDescribedBy: hintId } : undefined);
  return (
    <div className="field">
      <label htmlFor={meta.id}>{t(props.label)}</label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {t(props.hint)}
        </p>
      ) : null}
      <select key={key} {...selectProps} aria-describedby={describedBy(meta, hintId)}>
        <option value="">{t("form.select")}</option>
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

export function CheckboxField({
  meta,
  label,
}: {
  // biome-ignore lint/suspicious/noExplicitAny: any field of any form
  meta: FieldMetadata<any, any, any>;
  label: MessageKey;
}) {
  const { t } = useT();
  const { key, ...inputProps } = getInputProps(meta, { type: "checkbox" });
  return (
    <div className="field field--checkbox">
      <input key={key} {...inputProps} aria-describedby={describedBy(meta)} />
      <label htmlFor={meta.id}>{t(label)}</label>
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function Fieldset({
  legend,
  children,
  describedBy,
}: {
  legend: ReactNode;
  children: ReactNode;
  describedBy?: string;
}) {
  return (
    <fieldset className="fieldset" {...(describedBy ? { "aria-describedby": describedBy } : {})}>
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

/** Hint always; the error list only while there is an error (so screen readers read it then). */
// biome-ignore lint/suspicious/noExplicitAny: any field of any form
function describedBy(meta: FieldMetadata<any, any, any>, hintId?: string): string | undefined {
  const ids = [hintId, meta.errors?.length ? meta.errorId : undefined].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

import { type FieldMetadata, getInputProps, getSelectProps } from "@conform-to/react";

/**
 * Form controls of the back office with label, hint and errors tied together: the hint and the
 * error list are named by aria-describedby, aria-invalid marks a field in error, and the errors
 * are text next to the field.
 */

// biome-ignore lint/suspicious/noExplicitAny: any field of any form
type Meta = FieldMetadata<any, any, any>;

export function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  return (
    <div id={id} className="field-errors">
      {errors?.length ? (
        <ul>
          {errors.map((e) => (
            <li key={e} className="field-error">
              {e}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function describedBy(meta: Meta, hintId?: string): string | undefined {
  const ids = [hintId, meta.errors?.length ? meta.errorId : undefined].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

export function TextField(props: {
  meta: Meta;
  label: string;
  hint?: string;
  type?: "text" | "date" | "search";
  inputMode?: "numeric" | "text";
  autoComplete?: string;
}) {
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  const { key, ...inputProps } = getInputProps(meta, { type: props.type ?? "text" });
  return (
    <div className="field">
      <label htmlFor={meta.id}>{props.label}</label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <input
        key={key}
        {...inputProps}
        aria-describedby={describedBy(meta, hintId)}
        autoComplete={props.autoComplete ?? "off"}
        {...(props.inputMode ? { inputMode: props.inputMode } : {})}
      />
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function SelectField(props: {
  meta: Meta;
  label: string;
  hint?: string;
  options: readonly { value: string; label: string }[];
  placeholder?: string;
}) {
  const { meta } = props;
  const hintId = props.hint ? `${meta.id}-hint` : undefined;
  const { key, ...selectProps } = getSelectProps(meta);
  return (
    <div className="field">
      <label htmlFor={meta.id}>{props.label}</label>
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <select key={key} {...selectProps} aria-describedby={describedBy(meta, hintId)}>
        {props.placeholder !== undefined ? <option value="">{props.placeholder}</option> : null}
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

export function CheckboxField(props: { meta: Meta; label: string }) {
  const { meta } = props;
  const { key, ...inputProps } = getInputProps(meta, { type: "checkbox" });
  return (
    <div className="field field--checkbox">
      <input key={key} {...inputProps} aria-describedby={describedBy(meta)} />{" "}
      <label htmlFor={meta.id}>{props.label}</label>
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

/** The page's error summary: a list of links to the fields in error, focused after a failed submit. */
export function ErrorSummary({ errors }: { errors: { id: string; message: string }[] }) {
  if (errors.length === 0) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1}>
      <h2>入力内容を確認してください</h2>
      <ul>
        {errors.map((e) => (
          <li key={`${e.id}-${e.message}`}>
            <a href={`#${e.id}`}>{e.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

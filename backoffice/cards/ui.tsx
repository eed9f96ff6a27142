import { type FieldMetadata, getInputProps } from "@conform-to/react";
import { FieldErrors } from "../app/components/fields";

/**
 * A PIN field: type=password, never prefilled, autocomplete off; label, hint and errors tied
 * together by aria-describedby (the errors only while there are some), aria-invalid in error.
 */

// biome-ignore lint/suspicious/noExplicitAny: a field of any form
type Meta = FieldMetadata<any, any, any>;

export function PinField(props: {
  meta: Meta;
  label: string;
  hint: string;
  numeric?: boolean;
  maxLength: number;
}) {
  const { meta } = props;
  const hintId = `${meta.id}-hint`;
  const { key, defaultValue: _never, ...inputProps } = getInputProps(meta, { type: "password" });
  const describedBy = [hintId, meta.errors?.length ? meta.errorId : undefined].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={meta.id}>{props.label}</label>
      <p id={hintId} className="hint">
        {props.hint}
      </p>
      <input
        key={key}
        {...inputProps}
        aria-describedby={describedBy}
        autoComplete="off"
        maxLength={props.maxLength}
        {...(props.numeric ? { inputMode: "numeric" as const } : {})}
      />
      <FieldErrors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export function FormErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <div id={id} className="error-summary" role="alert">
      <ul>
        {errors.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>
    </div>
  );
}

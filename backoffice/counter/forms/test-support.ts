import { makeMyNumber, makeResidentCode } from "../../register/identifiers.js";

/** Helpers for the counter forms' tests: form data as a browser sends it. */

export type FormFields = Record<string, string | string[]>;

/** Nested values → Conform names ("persons[0].name.family"). */
export function flat(value: unknown, prefix = "", out: FormFields = {}): FormFields {
  if (value === undefined || value === null) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      flat(v, `${prefix}[${i}]`, out);
    });
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flat(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = String(value);
  }
  return out;
}

export function formData(fields: FormFields): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields))
    for (const one of Array.isArray(v) ? v : [v]) fd.append(k, one);
  return fd;
}

let n = 0;
/** A valid, unused-looking 住民票コード / 個人番号 (check digits right). */
export function residentCode(): string {
  n++;
  return makeResidentCode(String((Date.now() * 7 + n * 7919) % 10_000_000_000).padStart(10, "0"));
}
export function myNumber(): string {
  n++;
  return makeMyNumber(String((Date.now() * 13 + n * 104729) % 100_000_000_000).padStart(11, "0"));
}

/** A Japanese national's person fields. */
export function personFields(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: { family: "試験", given: "太郎", familyKana: "シケン", givenKana: "タロウ" },
    birthDate: "1980-05-01",
    sex: "male",
    nationality: "JP",
    relationship: "世帯主",
    honseki: { address: "東京都墨田区吾妻橋一丁目1番地", headOfFamily: "試験太郎" },
    ...over,
  };
}

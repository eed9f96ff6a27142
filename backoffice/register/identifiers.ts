/**
 * Check digits for the identifiers of the register (see DOMAIN.md "Identifiers and check digits").
 *
 * Validators accept only ASCII digits of the exact length: width folding or hyphen removal belongs to
 * the form layer, so a value that reaches storage is always in one canonical form.
 */

const DIGITS = /^[0-9]+$/;

function assertDigits(value: string, length: number, what: string): void {
  if (value.length !== length || !DIGITS.test(value)) {
    throw new RangeError(`${what}: expected ${length} ASCII digits, got ${JSON.stringify(value)}`);
  }
}

/**
 * Modulus-11 check digit of 総務省令第85号 第5条. Digits are weighted from the right (P_1 is the last
 * digit before the check digit) with Q_n = n+1 for n ≤ 6 and n−5 for n ≥ 7, so the same function
 * serves the 11-digit body of 個人番号 and the 10-digit body of 住民票コード.
 */
function mod11CheckDigit(body: string): number {
  let sum = 0;
  for (let n = 1; n <= body.length; n++) {
    const p = body.charCodeAt(body.length - n) - 48;
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** 個人番号: check digit of the first 11 digits. */
export function myNumberCheckDigit(first11: string): number {
  assertDigits(first11, 11, "myNumberCheckDigit");
  return mod11CheckDigit(first11);
}

/** 個人番号: 12 ASCII digits whose last digit is the check digit. */
export function isValidMyNumber(s: string): boolean {
  return (
    typeof s === "string" &&
    s.length === 12 &&
    DIGITS.test(s) &&
    mod11CheckDigit(s.slice(0, 11)) === Number(s[11])
  );
}

/** 個人番号 from an 11-digit body (for seeding and tests). */
export function makeMyNumber(first11: string): string {
  return first11 + String(myNumberCheckDigit(first11));
}

/**
 * 住民票コード: the official rule is not published; this project assumes the 個人番号 rule over the
 * 10-digit body (DOMAIN.md). The demo world is generated with the same rule.
 */
export function residentCodeCheckDigit(first10: string): number {
  assertDigits(first10, 10, "residentCodeCheckDigit");
  return mod11CheckDigit(first10);
}

/** 住民票コード: 11 ASCII digits whose last digit is the check digit. */
export function isValidResidentCode(s: string): boolean {
  return (
    typeof s === "string" &&
    s.length === 11 &&
    DIGITS.test(s) &&
    mod11CheckDigit(s.slice(0, 10)) === Number(s[10])
  );
}

/** 住民票コード from a 10-digit body (for seeding and tests). */
export function makeResidentCode(first10: string): string {
  return first10 + String(residentCodeCheckDigit(first10));
}

const LG_CODE_WEIGHTS = [6, 5, 4, 3, 2] as const;

function lgCheck(body: string): number {
  let sum = 0;
  for (let i = 0; i < LG_CODE_WEIGHTS.length; i++) {
    sum += (body.charCodeAt(i) - 48) * LG_CODE_WEIGHTS[i]!;
  }
  // 11 − r is 11 or 10 when r is 0 or 1; the final mod 10 turns those into 1 and 0 so that the
  // check stays a single digit (unlike the 個人番号 rule, r = 0 does not give 0 here).
  return (11 - (sum % 11)) % 10;
}

/** 地方公共団体コード: check digit of the first 5 digits (weights 6,5,4,3,2 from the left). */
export function lgCodeCheckDigit(first5: string): number {
  assertDigits(first5, 5, "lgCodeCheckDigit");
  return lgCheck(first5);
}

/** 地方公共団体コード: 6 ASCII digits whose last digit is the check digit. */
export function isValidLgCode(s: string): boolean {
  return typeof s === "string" && s.length === 6 && DIGITS.test(s) && lgCheck(s.slice(0, 5)) === Number(s[5]);
}

/** 地方公共団体コード from a 5-digit body (for seeding and tests). */
export function makeLgCode(first5: string): string {
  return first5 + String(lgCodeCheckDigit(first5));
}

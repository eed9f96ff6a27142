import { randomInt } from "node:crypto";

/**
 * 受付番号: 12 digits shown as 4-4-4 (e.g. 3841-0927-5516), read out over the phone or typed at
 * a counter. Eleven digits are drawn from a CSPRNG, so one number says nothing about any other
 * (no sequence, no date, no municipality); the twelfth is a Luhn check digit that catches a
 * mistyped digit or two swapped neighbours. Uniqueness is the database's unique constraint;
 * a collision (one in 10^11 per pair) is retried by the caller.
 */
export function newReceiptNumber(): string {
  let digits = "";
  for (let i = 0; i < 11; i++) digits += String(randomInt(10));
  // Never start with 0: a leading zero gets lost in spreadsheets and on the phone.
  if (digits[0] === "0") digits = `${1 + randomInt(9)}${digits.slice(1)}`;
  return format(digits + luhnCheckDigit(digits));
}

export function luhnCheckDigit(digits: string): string {
  let sum = 0;
  // Double every second digit counting from the right of the payload (the check digit's left).
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** True for a well-formed 受付番号 (with or without hyphens) whose check digit holds. */
export function isValidReceiptNumber(input: string): boolean {
  const digits = input.replace(/-/g, "");
  if (!/^\d{12}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, 11)) === digits[11];
}

function format(digits: string): string {
  return `${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

import { describe, expect, it } from "vitest";
import { isValidReceiptNumber, luhnCheckDigit, newReceiptNumber } from "./receipt-number.js";

describe("受付番号", () => {
  it("is 12 digits as 4-4-4 with a valid check digit, never starting with 0", () => {
    for (let i = 0; i < 200; i++) {
      const n = newReceiptNumber();
      expect(n).toMatch(/^[1-9]\d{3}-\d{4}-\d{4}$/);
      expect(isValidReceiptNumber(n)).toBe(true);
    }
  });

  it("catches a mistyped digit and two swapped neighbours", () => {
    expect(luhnCheckDigit("7992739871")).toBe("3"); // the textbook Luhn example
    const n = newReceiptNumber().replace(/-/g, "");
    const typo = `${n.slice(0, 5)}${(Number(n[5]) + 1) % 10}${n.slice(6)}`;
    expect(isValidReceiptNumber(typo)).toBe(false);
    const i = [...n].findIndex(
      (c, k) =>
        k < 10 && c !== n[k + 1] && !(c === "0" && n[k + 1] === "9") && !(c === "9" && n[k + 1] === "0"),
    );
    if (i >= 0) {
      const swapped = `${n.slice(0, i)}${n[i + 1]}${n[i]}${n.slice(i + 2)}`;
      expect(isValidReceiptNumber(swapped)).toBe(false);
    }
  });

  it("says nothing about the next one: 1,000 numbers are all different and spread over every digit", () => {
    const numbers = Array.from({ length: 1000 }, newReceiptNumber);
    expect(new Set(numbers).size).toBe(1000);
    const lastPayloadDigits = new Set(numbers.map((n) => n.replace(/-/g, "")[10]));
    expect(lastPayloadDigits.size).toBe(10);
  });
});

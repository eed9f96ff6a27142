import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ name: "test", destination }) };
}

describe("logger redaction", () => {
  it("never writes personal fields, at the top level or nested", () => {
    const { lines, logger } = capture();
    const person = {
      name: "墨田 太郎",
      familyKana: "スミダ",
      birthDate: "1985-04-12",
      address: "東京都墨田区吾妻橋一丁目23番1号",
      myNumber: "907273990556",
      residentCode: "23333241870",
      pin: "1234",
    };
    logger.info({ ...person, applicationId: "a-1" }, "top level");
    logger.info({ person, applicationId: "a-2" }, "nested");
    logger.info(
      { request: { person: { myNumber: "907273990556" } }, token: "eyJhbGciOi", idToken: "eyJ" },
      "deeper",
    );
    const out = lines.join("");
    for (const secret of [
      "墨田",
      "スミダ",
      "1985-04-12",
      "吾妻橋",
      "907273990556",
      "23333241870",
      "1234",
      "eyJ",
    ]) {
      expect(out).not.toContain(secret);
    }
    // What is not personal stays readable, and the redaction is visible.
    expect(out).toContain("a-1");
    expect(out).toContain("a-2");
    expect(out).toContain("[REDACTED]");
    expect(JSON.parse(lines[0]!).component).toBe("test");
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/env.js";
import { loadPortalEnv } from "./env.server.js";

const base = {
  PORTAL_DATABASE_URL: "postgres://u:p@127.0.0.1:5432/juki",
  REDIS_URL: "redis://127.0.0.1:6379",
};

function lines(env: Record<string, string>): string[] {
  try {
    loadPortalEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

describe("portal configuration", () => {
  it("defaults to the local card IdP stand-in and the portal's own URL", () => {
    const env = loadPortalEnv({ ...base, MOCKS_PORT: "4100", PORTAL_PORT: "3100" });
    expect(env.CARD_IDP_ISSUER).toBe("http://127.0.0.1:4100/card");
    expect(env.PORTAL_PUBLIC_URL).toBe("http://127.0.0.1:3100");
    expect(env.CARD_IDP_CLIENT_ID).toBe("juki-portal");
    expect(env.cardIdpClientKey).toBeUndefined();
  });

  it("one line per bad value, and never echoes a secret", () => {
    const privateKey = JSON.stringify({ kty: "EC", crv: "P-256", x: "x", y: "y", d: "s3cr3t-d" });
    const out = lines({
      ...base,
      CARD_IDP_ISSUER: "not a url",
      CARD_IDP_CLIENT_KEY: "{not json s3cr3t",
      BACKOFFICE_INTAKE_PUBLIC_KEY: privateKey,
      SESSION_SECRET: "short-s3cr3t",
    });
    expect(out.map((l) => l.split(":")[0])).toEqual([
      "CARD_IDP_ISSUER",
      "CARD_IDP_CLIENT_KEY",
      "BACKOFFICE_INTAKE_PUBLIC_KEY",
      "SESSION_SECRET",
    ]);
    expect(out.join("\n")).not.toContain("s3cr3t");
  });

  it("production needs https and every key given explicitly", () => {
    const out = lines({ ...base, NODE_ENV: "production", PORTAL_PUBLIC_URL: "http://portal.example.jp" });
    expect(out).toEqual(
      expect.arrayContaining([
        'PORTAL_PUBLIC_URL: must be https:// in production (got "http://portal.example.jp")',
        "CARD_IDP_ISSUER: required in production",
        "CARD_IDP_CLIENT_KEY: required in production",
        "SESSION_SECRET: required in production",
        "BACKOFFICE_INTAKE_PUBLIC_KEY: required in production",
      ]),
    );
  });
});

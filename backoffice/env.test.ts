import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/env.js";
import { loadBackofficeEnv } from "./env.server.js";

const base = {
  BACKOFFICE_DATABASE_URL: "postgres://u:p@127.0.0.1:5432/juki",
  REDIS_URL: "redis://127.0.0.1:6379",
};

function lines(source: Record<string, string>): string[] {
  try {
    loadBackofficeEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

describe("back-office environment", () => {
  it("defaults the staff IdP and the public URL for local development", () => {
    const env = loadBackofficeEnv({ ...base, MOCKS_PORT: "4100", BACKOFFICE_PORT: "3200" });
    expect(env.STAFF_IDP_ISSUER).toBe("http://127.0.0.1:4100/staff");
    expect(env.STAFF_IDP_CLIENT_ID).toBe("juki-backoffice");
    expect(env.BACKOFFICE_PUBLIC_URL).toBe("http://127.0.0.1:3200");
    expect(env.staffIdpClientKey).toBeUndefined();
  });

  it("names each bad secret without echoing it", () => {
    const out = lines({
      ...base,
      STAFF_IDP_CLIENT_KEY: "not-json-secret",
      BACKOFFICE_SESSION_SECRET: "short-secret",
    });
    expect(out.some((l) => l.startsWith("STAFF_IDP_CLIENT_KEY:"))).toBe(true);
    expect(out.some((l) => l.startsWith("BACKOFFICE_SESSION_SECRET:"))).toBe(true);
    expect(out.join("\n")).not.toContain("not-json-secret");
    expect(out.join("\n")).not.toContain("short-secret");
  });

  it("requires https URLs, a client key and a session secret in production", () => {
    const out = lines({ ...base, NODE_ENV: "production", STAFF_IDP_ISSUER: "http://idp.example/staff" });
    expect(out.join("\n")).toMatch(/BACKOFFICE_PUBLIC_URL.*required in production/);
    expect(out.join("\n")).toMatch(/STAFF_IDP_ISSUER.*https/);
    expect(out).toContain("STAFF_IDP_CLIENT_KEY: required in production");
    expect(out).toContain("BACKOFFICE_SESSION_SECRET: required in production");
  });
});

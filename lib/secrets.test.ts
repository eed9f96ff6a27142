import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { devKeyPair, devSecret } from "./secrets.js";

const dir = mkdtempSync(path.join(tmpdir(), "juki-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("development secrets", () => {
  it("are generated once, kept private, and read back unchanged", () => {
    const a = devSecret(dir, "session");
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(devSecret(dir, "session")).toBe(a);
    expect(devSecret(dir, "other")).not.toBe(a);
    expect(statSync(path.join(dir, "secrets", "session.secret")).mode & 0o777).toBe(0o600);
  });

  it("key pairs keep the private part out of the public JWK", () => {
    const k = devKeyPair(dir, "client", "ES256");
    expect(k.privateJwk.d).toBeTruthy();
    expect(k.publicJwk).not.toHaveProperty("d");
    expect(k.publicJwk.kid).toBe(k.privateJwk.kid);
    expect(devKeyPair(dir, "client", "ES256").privateJwk.d).toBe(k.privateJwk.d);
  });
});

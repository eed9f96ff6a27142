import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/env.js";
import { tempDataDir } from "../mocks/juki-net/testing.js";
import { loadWorkerEnv } from "./env.js";
import { pipelineDepsFromEnv } from "./juki-net/context.js";

/** The worker's pipeline settings: defaults from MOCKS_PORT, one clear line per bad value, no secret echoed. */
const base = {
  REDIS_URL: "redis://127.0.0.1:6379",
  BACKOFFICE_DATABASE_URL: "postgres://u:p@h/db",
  WORKER_ZONES: "backoffice",
};

describe("worker env for the pipeline", () => {
  it("defaults the 住基ネット and card IdP addresses from MOCKS_PORT", () => {
    const data = tempDataDir();
    const env = loadWorkerEnv({ ...base, MOCKS_PORT: "5000", DATA_DIR: data.dir });
    const deps = pipelineDepsFromEnv(env);
    data.remove();
    expect(deps.cardIdpUrl).toBe("http://127.0.0.1:5000");
    expect((deps.jukiNet as unknown as { base: string }).base).toBe("http://127.0.0.1:5001");
  });

  it("reports bad values one line each, never echoing the private key", () => {
    const secret = '{"kty":"EC","crv":"P-256","x":"SECRETSECRET"}';
    let error: unknown;
    try {
      loadWorkerEnv({ ...base, JUKI_NET_URL: "not a url", BACKOFFICE_INTAKE_PRIVATE_KEY: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).lines;
    expect(lines.some((l) => l.startsWith("JUKI_NET_URL:"))).toBe(true);
    expect(lines.some((l) => l.includes("BACKOFFICE_INTAKE_PRIVATE_KEY"))).toBe(true);
    expect(lines.join("\n")).not.toContain("SECRETSECRET");
  });
});

import { describe, expect, it } from "vitest";
import { loadWorkerEnv } from "../jobs/env.js";
import { ConfigError } from "./env.js";

describe("environment validation", () => {
  it("names each bad variable on its own line, without echoing a password", () => {
    try {
      loadWorkerEnv({
        REDIS_URL: "not a url",
        PORTAL_DATABASE_URL: "mysql://u:hunter2@h/db",
        WORKERS_PORT: "99999",
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const lines = (err as ConfigError).lines;
      expect(lines.some((l) => l.startsWith("REDIS_URL:"))).toBe(true);
      expect(lines.some((l) => l.startsWith("PORTAL_DATABASE_URL:"))).toBe(true);
      expect(lines.some((l) => l.startsWith("WORKERS_PORT:"))).toBe(true);
      expect(lines.join("\n")).not.toContain("hunter2");
    }
  });

  it("requires a queue store and the database of each zone served", () => {
    expect(() => loadWorkerEnv({ WORKER_ZONES: "backoffice" })).toThrow(/REDIS_URL: set REDIS_URL/);
    expect(() => loadWorkerEnv({ WORKER_ZONES: "backoffice", REDIS_URL: "redis://127.0.0.1:6379" })).toThrow(
      /BACKOFFICE_DATABASE_URL: required/,
    );
    const env = loadWorkerEnv({
      WORKER_ZONES: "backoffice",
      REDIS_URL: "redis://127.0.0.1:6379",
      BACKOFFICE_DATABASE_URL: "postgres://u:p@127.0.0.1:5432/db",
    });
    expect(env.WORKER_ZONES).toEqual(["backoffice"]);
    expect(env.WORKERS_PORT).toBe(3200);
  });
});

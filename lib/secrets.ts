import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Development secrets: generated at first start into DATA_DIR/secrets (git-ignored, mode
 * 0600) and read back on later starts. In production every one of them is given through
 * the environment instead, and this folder does not exist.
 */
export function devSecret(dataDir: string, name: string, bytes = 32): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad secret name ${name}`);
  const folder = path.join(path.resolve(dataDir), "secrets");
  const file = path.join(folder, `${name}.secret`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const value = randomBytes(bytes).toString("base64url");
  try {
    // "wx": if another process created it a moment ago, keep theirs.
    writeFileSync(file, `${value}\n`, { flag: "wx", mode: 0o600 });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return readFileSync(file, "utf8").trim();
  }
}

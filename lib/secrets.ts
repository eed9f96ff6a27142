import { generateKeyPairSync, randomBytes } from "node:crypto";
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

export interface DevKeyPair {
  /** Private JWK (with `kid` and `alg`); never leaves the process that owns it. */
  privateJwk: JsonWebKey & { kid: string; alg: string };
  /** The public half, safe to publish (e.g. in a jwks_uri). */
  publicJwk: JsonWebKey & { kid: string; alg: string };
}

/**
 * A development key pair (JWK), generated at first use into DATA_DIR/secrets/NAME.jwk
 * (mode 0600) and read back afterwards. `alg`: "ES256" for signatures (private_key_jwt,
 * JWS) or "ECDH-ES+A256KW" for sealing (JWE). Production passes keys through configuration.
 */
export function devKeyPair(dataDir: string, name: string, alg: "ES256" | "ECDH-ES+A256KW"): DevKeyPair {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad key name ${name}`);
  const folder = path.join(path.resolve(dataDir), "secrets");
  const file = path.join(folder, `${name}.jwk`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  let privateJwk: DevKeyPair["privateJwk"];
  try {
    privateJwk = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = privateKey.export({ format: "jwk" });
    privateJwk = {
      ...jwk,
      kid: `${name}-${randomBytes(6).toString("hex")}`,
      alg,
    } as DevKeyPair["privateJwk"];
    try {
      writeFileSync(file, JSON.stringify(privateJwk), { flag: "wx", mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      privateJwk = JSON.parse(readFileSync(file, "utf8"));
    }
  }
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

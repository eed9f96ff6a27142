import type { JWK } from "jose";
import type { MyNumberKeys } from "../../backoffice/register/my-number.js";
import { loadMyNumberKeys } from "../../backoffice/register/my-number.js";
import { devKeyPair } from "../../lib/secrets.js";
import { JukiNetClient } from "./client.js";

/**
 * What the pipeline's processors need besides their transaction: the 住基ネット client, the
 * 個人番号 keys, the back office's intake key and the card IdP's address. Passed to the processor
 * factories (no globals); built lazily from the worker's environment so that importing the
 * processor list has no side effect.
 */
export interface PipelineDeps {
  jukiNet: JukiNetClient;
  myNumberKeys: MyNumberKeys;
  /** Private key (JWK) that opens the portal's sealed applications. */
  intakePrivateJwk: JWK;
  cardIdpUrl: string;
  /** The downstream address systems (団体内統合宛名 / 宛名管理), `POST /address-events`. */
  addressSystemsUrl?: string;
  /** Today's business date (YYYY-MM-DD, Japan); tests pin it. */
  today(): string;
  now(): Date;
}

export interface PipelineEnv {
  DATA_DIR: string;
  MOCKS_PORT?: number | undefined;
  JUKI_NET_URL?: string | undefined;
  CARD_IDP_URL?: string | undefined;
  ADDRESS_SYSTEMS_URL?: string | undefined;
  BACKOFFICE_INTAKE_PRIVATE_KEY?: string | undefined;
  MY_NUMBER_ENCRYPTION_KEY?: string | undefined;
  MY_NUMBER_INDEX_KEY?: string | undefined;
  JUKI_NET_TIMEOUT_MS?: number | undefined;
}

/** Today in Japan (UTC+9, no daylight saving) as YYYY-MM-DD. */
export function tokyoToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

export function pipelineDepsFromEnv(env: PipelineEnv): PipelineDeps {
  return {
    jukiNet: new JukiNetClient({
      baseUrl: env.JUKI_NET_URL ?? `http://127.0.0.1:${(env.MOCKS_PORT ?? 4000) + 1}`,
      dataDir: env.DATA_DIR,
      timeoutMs: env.JUKI_NET_TIMEOUT_MS ?? 10_000,
    }),
    myNumberKeys: loadMyNumberKeys(env),
    intakePrivateJwk: env.BACKOFFICE_INTAKE_PRIVATE_KEY
      ? (JSON.parse(env.BACKOFFICE_INTAKE_PRIVATE_KEY) as JWK)
      : (devKeyPair(env.DATA_DIR, "intake-sealing", "ECDH-ES+A256KW").privateJwk as JWK),
    addressSystemsUrl: env.ADDRESS_SYSTEMS_URL ?? `http://127.0.0.1:${(env.MOCKS_PORT ?? 4000) + 4}`,
    cardIdpUrl: (env.CARD_IDP_URL ?? `http://127.0.0.1:${env.MOCKS_PORT ?? 4000}`).replace(/\/$/, ""),
    today: () => tokyoToday(),
    now: () => new Date(),
  };
}

/** Memoizes a factory: the dependencies are built at the first job that needs them. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

import { UnrecoverableError } from "bullmq";
import { devKeyPair } from "../../lib/secrets.js";
import {
  clientAssertion,
  type Envelope,
  type IdentityInfo,
  type IdentityUpdate,
  type Lookup,
  signMessage,
  verifyMessage,
} from "../../mocks/juki-net/protocol.js";

/**
 * The hosted back office's 市町村CS as a client of the 住基ネット stand-in
 * (docs/contracts/juki-net.md). Every call has a timeout. Errors:
 * - JukiNetRetryableError: 5xx, timeouts, connection failures, 409 outOfOrder (try again later);
 * - JukiNetRejectedError (an UnrecoverableError): 4xx that can never succeed as sent.
 * Error messages carry status codes, error codes and lgCodes only, never personal data.
 */

export class JukiNetRetryableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly expectedSequence?: number,
  ) {
    super(message);
    this.name = "JukiNetRetryableError";
  }
}

export class JukiNetRejectedError extends UnrecoverableError {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "JukiNetRejectedError";
  }
}

type PrivateJwk = JsonWebKey & { kid: string };
type PublicJwk = JsonWebKey & { kid: string; lgCode?: string };

export interface JukiNetClientOptions {
  baseUrl: string;
  dataDir: string;
  /** Per-call timeout, milliseconds. */
  timeoutMs?: number;
  /** The CS key of a hosted municipality; default: the development key pair under dataDir. */
  keyFor?: (lgCode: string) => PrivateJwk;
  fetch?: typeof fetch;
}

export interface MailboxMessage {
  id: string;
  kind: string;
  from: string;
  to: string;
  receivedAt: string;
  acked: boolean;
  envelope: Envelope;
  jws: string;
}

export const defaultJukiNetUrl = (env: Record<string, string | undefined> = process.env) =>
  env.JUKI_NET_URL ?? `http://127.0.0.1:${Number(env.MOCKS_PORT ?? 4000) + 1}`;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by the callers that use them
type Json = any;

export class JukiNetClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly keys = new Map<string, PrivateJwk>();
  private readonly assertions = new Map<string, { token: string; until: number }>();
  private jwks: Map<string, PublicJwk> | undefined;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: JukiNetClientOptions) {
    this.base = options.baseUrl.replace(/\/$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.doFetch = options.fetch ?? ((...args) => fetch(...args));
  }

  /** The private CS key of a hosted municipality. */
  key(lgCode: string): PrivateJwk {
    let key = this.keys.get(lgCode);
    if (!key) {
      key =
        this.options.keyFor?.(lgCode) ?? devKeyPair(this.options.dataDir, `cs-${lgCode}`, "ES256").privateJwk;
      this.keys.set(lgCode, key);
    }
    return key;
  }

  private async authorization(lgCode: string): Promise<string> {
    const cached = this.assertions.get(lgCode);
    if (cached && cached.until > Date.now()) return `Bearer ${cached.token}`;
    const token = await clientAssertion(lgCode, this.key(lgCode));
    // Reused for four of its five minutes (v1 does not check jti).
    this.assertions.set(lgCode, { token, until: Date.now() + 240_000 });
    return `Bearer ${token}`;
  }

  private async call(
    endpoint: string,
    method: "GET" | "POST",
    path: string,
    opts: { asLgCode?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.asLgCode) headers.authorization = await this.authorization(opts.asLgCode);
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${path}`, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const what = e.name === "TimeoutError" || e.name === "AbortError" ? "timed out" : "failed";
      throw new JukiNetRetryableError(`住基ネット ${endpoint} ${what}`);
    }
    let body: Json;
    try {
      const text = await res.text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, body };
    const code = typeof body?.error === "string" ? body.error : undefined;
    const label = `住基ネット ${endpoint} answered ${res.status}${code ? ` ${code}` : ""}`;
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      throw new JukiNetRetryableError(label, res.status, code);
    }
    if (res.status === 409 && code === "outOfOrder") {
      throw new JukiNetRetryableError(label, res.status, code, body?.expectedSequence);
    }
    if (res.status === 401 && code === "unauthenticated") {
      // A fresh assertion may help (e.g. a clock step); drop the cached one and retry later.
      if (opts.asLgCode) this.assertions.delete(opts.asLgCode);
    }
    throw new JukiNetRejectedError(label, res.status, code);
  }

  /** Signs an envelope with its sender's CS key (the body to store and send later). */
  sign(envelope: Envelope): Promise<string> {
    return signMessage(envelope, this.key(envelope.from));
  }

  /** `POST /cs/messages`: 202 (or the first answer to a repeat). */
  async sendMessage(jws: string): Promise<{ id: string; accepted: true; route: "mailbox" | "standIn" }> {
    return (await this.call("messages", "POST", "/cs/messages", { body: { jws } })).body;
  }

  /** `POST /cs/identity-updates`; a 409 outOfOrder throws JukiNetRetryableError with expectedSequence. */
  async identityUpdate(
    update: IdentityUpdate,
  ): Promise<{ id: string; applied: true; residentCode: string; lgCode: string; sequence: number }> {
    return (
      await this.call("identity-update", "POST", "/cs/identity-updates", {
        asLgCode: update.lgCode,
        body: update,
      })
    ).body;
  }

  async lookup(
    asLgCode: string,
    query: Lookup,
  ): Promise<{ level: string | null; matches: (IdentityInfo & { history?: IdentityInfo[] })[] }> {
    return (await this.call("identity-lookup", "POST", "/cs/identity/lookup", { asLgCode, body: query }))
      .body;
  }

  async mailboxList(
    lgCode: string,
    unackedOnly = true,
  ): Promise<{ id: string; kind: string; from: string; receivedAt: string; acked: boolean }[]> {
    const q = unackedOnly ? "?unacked=1" : "";
    return (
      await this.call("mailbox-list", "GET", `/cs/mailboxes/${lgCode}/messages${q}`, { asLgCode: lgCode })
    ).body.messages;
  }

  async mailboxFetch(lgCode: string, id: string): Promise<MailboxMessage> {
    return (
      await this.call("mailbox-fetch", "GET", `/cs/mailboxes/${lgCode}/messages/${id}`, { asLgCode: lgCode })
    ).body;
  }

  async mailboxAck(lgCode: string, id: string): Promise<{ id: string; acked: true; ackedAt: string }> {
    return (
      await this.call("mailbox-ack", "POST", `/cs/mailboxes/${lgCode}/messages/${id}/ack`, {
        asLgCode: lgCode,
        body: {},
      })
    ).body;
  }

  /** `GET /cs/keys` (cached; re-fetched on an unknown kid). */
  async publicKeys(refresh = false): Promise<Map<string, PublicJwk>> {
    if (!this.jwks || refresh) {
      const { body } = await this.call("keys", "GET", "/cs/keys");
      this.jwks = new Map((body.keys as PublicJwk[]).map((k) => [k.kid, k]));
    }
    return this.jwks;
  }

  /**
   * Verifies a message's JWS with the key of its `from` (matching kid; JWKS re-fetched once on an
   * unknown kid). Returns the envelope as signed; throws JukiNetRejectedError when it does not verify.
   */
  async verify(jws: string): Promise<Envelope> {
    const kid = (() => {
      try {
        return JSON.parse(Buffer.from(jws.split(".")[0] ?? "", "base64url").toString("utf8")).kid as string;
      } catch {
        return undefined;
      }
    })();
    let keys = await this.publicKeys();
    if (!kid || !keys.has(kid)) keys = await this.publicKeys(true);
    const jwk = kid ? keys.get(kid) : undefined;
    try {
      const { payload, from } = await verifyMessage(jws, (lgCode) =>
        jwk && jwk.lgCode === lgCode ? jwk : undefined,
      );
      if (!jwk || !from || jwk.lgCode !== from) throw new Error("no key");
      return payload as Envelope;
    } catch {
      throw new JukiNetRejectedError("住基ネット message signature does not verify", 401, "badSignature");
    }
  }
}

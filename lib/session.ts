import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { EncryptJWT, jwtDecrypt } from "jose";
import type { PendingLogin } from "./oidc-rp.js";

/**
 * Server-side sessions, shared by the portal and the back office. The cookie carries 256 random
 * bits; the database keeps only their SHA-256, so neither a database copy nor a log line can be
 * turned back into a cookie. A new id is issued at every login (no fixation), and a session ends
 * after 30 minutes without a request or 8 hours after login, whichever comes first; logout
 * deletes the row. Cookies: `__Host-` (Secure, Path=/, no Domain) wherever the app is served
 * over https, HttpOnly, SameSite=Lax. Each app keeps its rows where it belongs (SessionStore).
 */
export const IDLE_LIMIT_MS = 30 * 60 * 1000;
export const ABSOLUTE_LIMIT_MS = 8 * 60 * 60 * 1000;
/** last_seen_at is written at most this often (one write per page would be wasteful). */
const TOUCH_INTERVAL_MS = 60 * 1000;
const LOGIN_COOKIE_MAX_AGE_S = 10 * 60;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface StoredSession {
  idHash: string;
  csrfSecret: string;
  idToken: string | null;
  createdAt: Date;
  lastSeenAt: Date;
}

/** Where an app keeps its session rows (SQL in the app's session.queries.ts). */
export interface SessionStore<Row extends StoredSession, New> {
  find(idHash: string): Promise<Row | undefined>;
  insert(row: New & { idHash: string; csrfSecret: string; now: Date }): Promise<void>;
  touch(idHash: string, now: Date): Promise<void>;
  delete(idHash: string): Promise<void>;
  deleteExpired(idleBefore: Date, createdBefore: Date): Promise<number>;
}

export interface SessionManagerOptions<Row extends StoredSession, New> {
  store: SessionStore<Row, New>;
  /** SESSION_SECRET (or the dev secret): keys the CSRF tokens and the login cookie. */
  secret: string;
  /** The app's public URL: https → `__Host-` cookies with Secure. */
  publicUrl: string;
  /** Cookie names without the prefix, e.g. `juki_session` / `juki_login`. */
  cookieNames: { session: string; login: string };
  now: () => Date;
}

export type ActiveSession<Row> = Row & {
  /** The token every form of this session must send back (synchroniser token). */
  csrfToken: string;
};

/** A keyed hash for things that must be compared but not kept (client addresses, request ids). */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac("sha256", secret).update(`${purpose}\0${value}`).digest("base64url");
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Every action checks the form's token against the session's (constant time). A cross-site
 * form cannot know it; SameSite=Lax is a second line, not the only one.
 */
export function assertCsrf(session: { csrfToken: string }, form: FormData): void {
  const sent = form.get("csrf");
  const a = Buffer.from(typeof sent === "string" ? sent : "");
  const b = Buffer.from(session.csrfToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new Response(
      "フォームの有効期限が切れました。ページを読み込み直してください。 (CSRF check failed)",
      {
        status: 403,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
      },
    );
  }
}

export class SessionManager<Row extends StoredSession, New> {
  constructor(private readonly opts: SessionManagerOptions<Row, New>) {}

  get secure(): boolean {
    return this.opts.publicUrl.startsWith("https://");
  }

  get sessionCookieName(): string {
    return this.secure ? `__Host-${this.opts.cookieNames.session}` : this.opts.cookieNames.session;
  }

  get loginCookieName(): string {
    return this.secure ? `__Host-${this.opts.cookieNames.login}` : this.opts.cookieNames.login;
  }

  cookie(name: string, value: string, maxAge?: number): string {
    const parts = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
    if (this.secure) parts.push("Secure");
    if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
    return parts.join("; ");
  }

  /** The Set-Cookie value that removes the session cookie. */
  clearSessionCookie(): string {
    return this.cookie(this.sessionCookieName, "", 0);
  }

  csrfTokenFor(row: StoredSession): string {
    return keyedHash(this.opts.secret, "csrf", row.csrfSecret);
  }

  /** The current session, or null when there is none or it has run out (then it is deleted). */
  async get(request: Request): Promise<ActiveSession<Row> | null> {
    const id = readCookie(request, this.sessionCookieName);
    if (!id || !ID_PATTERN.test(id)) return null;
    const idHash = sha256(id);
    const row = await this.opts.store.find(idHash);
    if (!row) return null;
    const now = this.opts.now();
    const idle = now.getTime() - row.lastSeenAt.getTime();
    const age = now.getTime() - row.createdAt.getTime();
    if (idle > IDLE_LIMIT_MS || age > ABSOLUTE_LIMIT_MS) {
      await this.opts.store.delete(idHash);
      return null;
    }
    if (idle > TOUCH_INTERVAL_MS) await this.opts.store.touch(idHash, now);
    return { ...row, csrfToken: this.csrfTokenFor(row) };
  }

  /** Starts a session for someone who just logged in: a fresh id, whatever cookie came in. */
  async create(request: Request, data: New): Promise<{ setCookie: string }> {
    const old = readCookie(request, this.sessionCookieName);
    if (old && ID_PATTERN.test(old)) await this.opts.store.delete(sha256(old));
    const id = randomBytes(32).toString("base64url");
    const now = this.opts.now();
    await this.opts.store.insert({
      ...data,
      idHash: sha256(id),
      csrfSecret: randomBytes(32).toString("base64url"),
      now,
    });
    // Housekeeping now and then, so that abandoned sessions do not pile up.
    if (Math.random() < 0.05) {
      await this.opts.store.deleteExpired(
        new Date(now.getTime() - IDLE_LIMIT_MS),
        new Date(now.getTime() - ABSOLUTE_LIMIT_MS),
      );
    }
    return { setCookie: this.cookie(this.sessionCookieName, id) };
  }

  /** Ends the session for good (server side) and returns the cookie that clears it. */
  async destroy(request: Request): Promise<string> {
    const id = readCookie(request, this.sessionCookieName);
    if (id) await this.opts.store.delete(sha256(id));
    return this.clearSessionCookie();
  }

  // The login in progress (state, nonce, PKCE verifier) travels in its own short-lived cookie,
  // encrypted and authenticated with a key derived from the secret: nothing is written to the
  // database before the user has proved who they are.

  private loginCookieKey(): Uint8Array {
    return Buffer.from(keyedHash(this.opts.secret, "login-cookie", "v1"), "base64url");
  }

  async pendingLoginCookie(pending: PendingLogin): Promise<string> {
    const now = Math.floor(this.opts.now().getTime() / 1000);
    const value = await new EncryptJWT({ ...pending })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setIssuedAt(now)
      .setExpirationTime(now + LOGIN_COOKIE_MAX_AGE_S)
      .encrypt(this.loginCookieKey());
    return this.cookie(this.loginCookieName, value, LOGIN_COOKIE_MAX_AGE_S);
  }

  async readPendingLogin(request: Request): Promise<PendingLogin | null> {
    const value = readCookie(request, this.loginCookieName);
    if (!value) return null;
    try {
      const { payload } = await jwtDecrypt(value, this.loginCookieKey(), {
        currentDate: this.opts.now(),
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
      });
      const { state, nonce, codeVerifier, returnTo } = payload as Record<string, unknown>;
      if (typeof state !== "string" || typeof nonce !== "string" || typeof codeVerifier !== "string")
        return null;
      return { state, nonce, codeVerifier, ...(typeof returnTo === "string" ? { returnTo } : {}) };
    } catch {
      return null;
    }
  }

  clearLoginCookie(): string {
    return this.cookie(this.loginCookieName, "", 0);
  }
}

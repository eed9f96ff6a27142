import { randomBytes, timingSafeEqual } from "node:crypto";
import { redirect } from "@remix-run/node";
import { EncryptJWT, jwtDecrypt } from "jose";
import { keyedHash, type PortalServices, sha256 } from "../services.server.js";
import type { CardClaims, CardLogin, PendingLogin } from "./card-idp.server.js";
import {
  deleteExpiredSessions,
  deleteSession,
  findSession,
  insertSession,
  type SessionRow,
  touchSession,
} from "./session.queries.js";

/**
 * Server-side sessions. The cookie carries 256 random bits; the database keeps only their
 * SHA-256, so neither a database copy nor a log line can be turned back into a cookie. A new id
 * is issued at every login (no fixation), and a session ends after 30 minutes without a request
 * or 8 hours after login, whichever comes first; logout deletes the row.
 */
export const IDLE_LIMIT_MS = 30 * 60 * 1000;
export const ABSOLUTE_LIMIT_MS = 8 * 60 * 60 * 1000;
/** last_seen_at is written at most this often (one write per page would be wasteful). */
const TOUCH_INTERVAL_MS = 60 * 1000;
const LOGIN_COOKIE_MAX_AGE_S = 10 * 60;

export interface Session extends SessionRow {
  /** The token every form of this session must send back (synchroniser token). */
  csrfToken: string;
}

function secure(services: PortalServices): boolean {
  return services.env.PORTAL_PUBLIC_URL.startsWith("https://");
}

/** `__Host-` (Secure, Path=/, no Domain) wherever the portal is served over https. */
export function sessionCookieName(services: PortalServices): string {
  return secure(services) ? "__Host-juki_session" : "juki_session";
}

export function loginCookieName(services: PortalServices): string {
  return secure(services) ? "__Host-juki_login" : "juki_login";
}

function cookie(services: PortalServices, name: string, value: string, maxAge?: number): string {
  const parts = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (secure(services)) parts.push("Secure");
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  return parts.join("; ");
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

function csrfTokenFor(services: PortalServices, row: SessionRow): string {
  return keyedHash(services.sessionSecret, "csrf", row.csrfSecret);
}

/** The current session, or null when there is none or it has run out (then it is deleted). */
export async function getSession(services: PortalServices, request: Request): Promise<Session | null> {
  const id = readCookie(request, sessionCookieName(services));
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const idHash = sha256(id);
  const row = await findSession(services.db, idHash);
  if (!row) return null;
  const now = services.now();
  const idle = now.getTime() - row.lastSeenAt.getTime();
  const age = now.getTime() - row.createdAt.getTime();
  if (idle > IDLE_LIMIT_MS || age > ABSOLUTE_LIMIT_MS) {
    await deleteSession(services.db, idHash);
    return null;
  }
  if (idle > TOUCH_INTERVAL_MS) await touchSession(services.db, idHash, now);
  return { ...row, csrfToken: csrfTokenFor(services, row) };
}

/** For pages that need a logged-in resident: otherwise back to the start page. */
export async function requireSession(services: PortalServices, request: Request): Promise<Session> {
  const session = await getSession(services, request);
  if (!session) {
    throw redirect("/?login=required", {
      headers: {
        "Set-Cookie": cookie(services, sessionCookieName(services), "", 0),
        "Cache-Control": "no-store",
      },
    });
  }
  return session;
}

/**
 * Every action checks the form's token against the session's (constant time). A cross-site
 * form cannot know it; SameSite=Lax is a second line, not the only one.
 */
export function assertCsrf(session: Session, form: FormData): void {
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

/** Starts a session for a holder who just logged in: a fresh id, whatever cookie came in. */
export async function createSession(
  services: PortalServices,
  request: Request,
  login: CardLogin,
): Promise<{ setCookie: string }> {
  const old = readCookie(request, sessionCookieName(services));
  if (old && /^[A-Za-z0-9_-]{43}$/.test(old)) await deleteSession(services.db, sha256(old));
  const id = randomBytes(32).toString("base64url");
  const now = services.now();
  await insertSession(services.db, {
    idHash: sha256(id),
    holderSub: login.sub,
    claims: login.claims,
    idToken: login.idToken,
    csrfSecret: randomBytes(32).toString("base64url"),
    now,
  });
  // Housekeeping now and then, so that abandoned sessions do not pile up.
  if (Math.random() < 0.05) {
    await deleteExpiredSessions(
      services.db,
      new Date(now.getTime() - IDLE_LIMIT_MS),
      new Date(now.getTime() - ABSOLUTE_LIMIT_MS),
    );
  }
  return { setCookie: cookie(services, sessionCookieName(services), id) };
}

/** Ends the session for good (server side) and returns the cookie that clears it. */
export async function destroySession(services: PortalServices, request: Request): Promise<string> {
  const id = readCookie(request, sessionCookieName(services));
  if (id) await deleteSession(services.db, sha256(id));
  return cookie(services, sessionCookieName(services), "", 0);
}

// The login in progress (state, nonce, PKCE verifier) travels in its own short-lived cookie,
// encrypted and authenticated with a key derived from SESSION_SECRET: nothing is written to the
// database before the holder has proved who they are.

function loginCookieKey(services: PortalServices): Uint8Array {
  return Buffer.from(keyedHash(services.sessionSecret, "login-cookie", "v1"), "base64url");
}

export async function pendingLoginCookie(services: PortalServices, pending: PendingLogin): Promise<string> {
  const now = Math.floor(services.now().getTime() / 1000);
  const value = await new EncryptJWT({ ...pending })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuedAt(now)
    .setExpirationTime(now + LOGIN_COOKIE_MAX_AGE_S)
    .encrypt(loginCookieKey(services));
  return cookie(services, loginCookieName(services), value, LOGIN_COOKIE_MAX_AGE_S);
}

export async function readPendingLogin(
  services: PortalServices,
  request: Request,
): Promise<PendingLogin | null> {
  const value = readCookie(request, loginCookieName(services));
  if (!value) return null;
  try {
    const { payload } = await jwtDecrypt(value, loginCookieKey(services), {
      currentDate: services.now(),
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    const { state, nonce, codeVerifier } = payload as Record<string, unknown>;
    if (typeof state !== "string" || typeof nonce !== "string" || typeof codeVerifier !== "string")
      return null;
    return { state, nonce, codeVerifier };
  } catch {
    return null;
  }
}

export function clearLoginCookie(services: PortalServices): string {
  return cookie(services, loginCookieName(services), "", 0);
}

/** What the pages show about the holder (name only; other claims stay on the server). */
export function displayName(claims: CardClaims): string {
  return claims.name ?? "";
}

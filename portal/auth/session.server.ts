import { redirect } from "@remix-run/node";
import {
  assertCsrf as assertFormCsrf,
  ABSOLUTE_LIMIT_MS as LIB_ABSOLUTE_LIMIT_MS,
  IDLE_LIMIT_MS as LIB_IDLE_LIMIT_MS,
  readCookie as readRequestCookie,
  SessionManager,
  type SessionStore,
} from "../../lib/session.js";
import type { PortalServices } from "../services.server.js";
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
 * Server-side sessions, with the rules of lib/session.ts (shared with the back office's staff
 * sessions). The cookie carries 256 random bits; the database keeps only their SHA-256, so
 * neither a database copy nor a log line can be turned back into a cookie. A new id is issued at
 * every login (no fixation), and a session ends after 30 minutes without a request or 8 hours
 * after login, whichever comes first; logout deletes the row.
 */
export const IDLE_LIMIT_MS = LIB_IDLE_LIMIT_MS;
export const ABSOLUTE_LIMIT_MS = LIB_ABSOLUTE_LIMIT_MS;

export interface Session extends SessionRow {
  /** The token every form of this session must send back (synchroniser token). */
  csrfToken: string;
}

type NewSession = { holderSub: string; claims: CardClaims; idToken: string };

function store(services: PortalServices): SessionStore<SessionRow, NewSession> {
  return {
    find: (idHash) => findSession(services.db, idHash),
    insert: (row) => insertSession(services.db, row),
    touch: (idHash, now) => touchSession(services.db, idHash, now),
    delete: (idHash) => deleteSession(services.db, idHash),
    deleteExpired: (idleBefore, createdBefore) =>
      deleteExpiredSessions(services.db, idleBefore, createdBefore),
  };
}

const managers = new WeakMap<PortalServices, SessionManager<SessionRow, NewSession>>();

function manager(services: PortalServices): SessionManager<SessionRow, NewSession> {
  let m = managers.get(services);
  if (!m) {
    m = new SessionManager({
      store: store(services),
      secret: services.sessionSecret,
      publicUrl: services.env.PORTAL_PUBLIC_URL,
      cookieNames: { session: "juki_session", login: "juki_login" },
      now: services.now,
    });
    managers.set(services, m);
  }
  return m;
}

/** `__Host-` (Secure, Path=/, no Domain) wherever the portal is served over https. */
export function sessionCookieName(services: PortalServices): string {
  return manager(services).sessionCookieName;
}

export function loginCookieName(services: PortalServices): string {
  return manager(services).loginCookieName;
}

export const readCookie = readRequestCookie;

/** The current session, or null when there is none or it has run out (then it is deleted). */
export async function getSession(services: PortalServices, request: Request): Promise<Session | null> {
  return manager(services).get(request);
}

/** For pages that need a logged-in resident: otherwise back to the start page. */
export async function requireSession(services: PortalServices, request: Request): Promise<Session> {
  const session = await getSession(services, request);
  if (!session) {
    throw redirect("/?login=required", {
      headers: {
        "Set-Cookie": manager(services).clearSessionCookie(),
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
  assertFormCsrf(session, form);
}

/** Starts a session for a holder who just logged in: a fresh id, whatever cookie came in. */
export async function createSession(
  services: PortalServices,
  request: Request,
  login: CardLogin,
): Promise<{ setCookie: string }> {
  return manager(services).create(request, {
    holderSub: login.sub,
    claims: login.claims,
    idToken: login.idToken,
  });
}

/** Ends the session for good (server side) and returns the cookie that clears it. */
export async function destroySession(services: PortalServices, request: Request): Promise<string> {
  return manager(services).destroy(request);
}

// The login in progress (state, nonce, PKCE verifier) travels in its own short-lived cookie,
// encrypted and authenticated with a key derived from SESSION_SECRET: nothing is written to the
// database before the holder has proved who they are.

export async function pendingLoginCookie(services: PortalServices, pending: PendingLogin): Promise<string> {
  return manager(services).pendingLoginCookie(pending);
}

export async function readPendingLogin(
  services: PortalServices,
  request: Request,
): Promise<PendingLogin | null> {
  return manager(services).readPendingLogin(request);
}

export function clearLoginCookie(services: PortalServices): string {
  return manager(services).clearLoginCookie();
}

/** What the pages show about the holder (name only; other claims stay on the server). */
export function displayName(claims: CardClaims): string {
  return claims.name ?? "";
}

import { redirect } from "@remix-run/node";
import { assertCsrf as assertFormCsrf, SessionManager } from "../../lib/session.js";
import type { StaffRole } from "../register/authorization.js";
import type { CommandContext } from "../register/commands/runner.js";
import { type BackofficeServices, municipalityName } from "../services.server.js";
import { type NewStaffSession, type StaffSessionRow, staffSessionStore } from "./session.queries.js";

/**
 * Staff sessions: the rules of lib/session.ts (the portal's too) — random id in a `__Host-`
 * cookie (plain name on http dev), HttpOnly, SameSite=Lax, only its hash stored (staff.session),
 * a new id at every login, idle 30 minutes, absolute 8 hours, logout deletes the row.
 */

export interface StaffSession {
  /** The stored hash of the cookie's id (not the cookie): safe to log or compare. */
  sessionId: string;
  staffId: string;
  name: string;
  roles: StaffRole[];
  lgCode: string;
  municipalityName: string;
  /** Every form of this session sends it back as `csrf`. */
  csrfToken: string;
  idToken: string | null;
}

export const ROLE_LABELS: Record<StaffRole, string> = {
  clerk: "窓口担当",
  supervisor: "係長",
  auditor: "監査担当",
  admin: "システム管理者",
};

const managers = new WeakMap<BackofficeServices, SessionManager<StaffSessionRow, NewStaffSession>>();

export function sessionManager(
  services: BackofficeServices,
): SessionManager<StaffSessionRow, NewStaffSession> {
  let m = managers.get(services);
  if (!m) {
    m = new SessionManager({
      store: staffSessionStore(services.db),
      secret: services.sessionSecret,
      publicUrl: services.env.BACKOFFICE_PUBLIC_URL,
      cookieNames: { session: "juki_staff_session", login: "juki_staff_login" },
      now: services.now,
    });
    managers.set(services, m);
  }
  return m;
}

/** The current staff session, or null (none, expired, or the staff member left the staff list). */
export async function getStaff(services: BackofficeServices, request: Request): Promise<StaffSession | null> {
  const row = await sessionManager(services).get(request);
  if (!row) return null;
  if (!services.world.staff.some((s) => s.id === row.staffId && s.lgCode === row.lgCode)) return null;
  return {
    sessionId: row.idHash,
    staffId: row.staffId,
    name: row.name,
    roles: row.roles,
    lgCode: row.lgCode,
    municipalityName: municipalityName(services.world, row.lgCode),
    csrfToken: row.csrfToken,
    idToken: row.idToken,
  };
}

/** A Japanese 403 page (the root error boundary shows the text). */
export function forbidden(message: string): Response {
  return new Response(message, {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** 404 for anything outside the staff member's municipality: its existence is not revealed. */
export function notFound(message = "お探しの情報は見つかりませんでした。"): Response {
  return new Response(message, {
    status: 404,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

export function hasRole(staff: StaffSession, roles: readonly StaffRole[]): boolean {
  return roles.some((r) => staff.roles.includes(r));
}

/**
 * For every page and action of the back office: no session → the login page; a session without
 * one of `roles` → 403 with a Japanese explanation.
 */
export async function requireStaff(
  services: BackofficeServices,
  request: Request,
  opts: { roles?: readonly StaffRole[] } = {},
): Promise<StaffSession> {
  const staff = await getStaff(services, request);
  if (!staff) {
    const url = new URL(request.url);
    const next = url.pathname + url.search;
    throw redirect(`/login${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`, {
      headers: {
        "Set-Cookie": sessionManager(services).clearSessionCookie(),
        "Cache-Control": "no-store",
      },
    });
  }
  if (opts.roles && !hasRole(staff, opts.roles)) {
    services.logger.warn(
      { staffId: staff.staffId, path: new URL(request.url).pathname, need: opts.roles },
      "page refused: role",
    );
    const may = opts.roles.map((r) => ROLE_LABELS[r]).join("・");
    const who = staff.roles.map((r) => ROLE_LABELS[r]).join("・") || "役割なし";
    throw forbidden(`この画面を利用する権限がありません（現在の役割: ${who}。利用できるのは ${may} です）。`);
  }
  return staff;
}

/** Every action checks the form's `csrf` field against the session's token (403 otherwise). */
export function assertCsrf(session: StaffSession, form: FormData): void {
  assertFormCsrf(session, form);
}

/** What a register command needs, for this staff member and today's business day. */
export function commandContext(services: BackofficeServices, staff: StaffSession): CommandContext {
  return {
    db: services.db,
    keys: services.keys,
    actor: { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] },
    today: services.today(),
  };
}

/** `next` after login: a path of this app only (never another origin). */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type express from "express";
import type { QueueBackend } from "../../jobs/backend.js";
import { queues } from "../../jobs/queues.js";
import { getStaff, hasRole, sessionManager } from "../auth/session.server.js";
import type { BackofficeServices } from "../services.server.js";

/** Where Bull Board lives in the back office. */
export const QUEUES_PATH = "/admin/queues";

/**
 * Bull Board (queues, failed jobs, retry) mounted in express before Remix, behind the staff
 * session: no session → the login page; a session without the admin role → 403 (Japanese page).
 * Its API changes things (retry, clean, remove) with fetch calls of its own UI: those must come
 * from this origin (Origin / Sec-Fetch-Site), on top of the SameSite=Lax session cookie, since
 * its requests carry no CSRF token of ours. Job payloads hold ids only (never personal data).
 */
export function mountQueueBoard(
  app: express.Express,
  backend: QueueBackend,
  office: BackofficeServices,
): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(backend.queue(q.name))),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "ジョブキュー",
        locale: { lng: "ja-JP" },
        hideDocsLink: true,
        miscLinks: [{ text: "窓口システムへ戻る", url: "/" }],
      },
    },
  });
  app.use(QUEUES_PATH, queueGuard(office), serverAdapter.getRouter());
}

/** The express guard, exported for tests. */
export function queueGuard(office: BackofficeServices): express.RequestHandler {
  const origin = new URL(office.env.BACKOFFICE_PUBLIC_URL).origin;
  return (req, res, next) => {
    void (async () => {
      const request = new Request(`${origin}${req.originalUrl}`, {
        headers: { cookie: req.headers.cookie ?? "" },
      });
      const staff = await getStaff(office, request);
      res.setHeader("Cache-Control", "no-store");
      if (!staff) {
        const wantsHtml = req.method === "GET" && !req.originalUrl.startsWith(`${QUEUES_PATH}/api/`);
        if (wantsHtml) {
          res.setHeader("Set-Cookie", sessionManager(office).clearSessionCookie());
          res.redirect(302, `/login?next=${encodeURIComponent(QUEUES_PATH)}`);
        } else res.status(401).json({ error: "ログインしてください" });
        return;
      }
      if (!hasRole(staff, ["admin"])) {
        office.logger.warn({ staffId: staff.staffId, path: QUEUES_PATH }, "page refused: role");
        res.status(403).type("html").send(forbiddenPage(staff.municipalityName));
        return;
      }
      if (!["GET", "HEAD", "OPTIONS"].includes(req.method)) {
        const sentOrigin = req.headers.origin;
        const site = req.headers["sec-fetch-site"];
        const sameOrigin = sentOrigin ? sentOrigin === origin : site === "same-origin";
        if (!sameOrigin) {
          office.logger.warn(
            { staffId: staff.staffId, method: req.method },
            "queue board: cross-origin change refused",
          );
          res.status(403).json({ error: "別のサイトからの操作は受け付けません" });
          return;
        }
        office.logger.info(
          { staffId: staff.staffId, method: req.method, path: req.path },
          "queue board: admin action",
        );
      }
      next();
    })().catch(next);
  };
}

function forbiddenPage(municipality: string): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>この操作は許可されていません | 住民記録システム（窓口）</title></head>
<body><main><h1>この操作は許可されていません</h1>
<p>${escapeHtml(municipality)}：ジョブキューの画面はシステム管理者だけが利用できます。</p>
<p><a href="/">トップページへ戻る</a></p></main></body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

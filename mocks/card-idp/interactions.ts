import { timingSafeEqual } from "node:crypto";
import express, { type Request, type Response } from "express";
import type Provider from "oidc-provider";
import type { InteractionDetails } from "oidc-provider";
import type { Logger } from "../../lib/logger.js";
import type { World } from "../../lib/world.js";
import {
  certificateRefusal,
  fullName,
  fullNameKana,
  type Holder,
  lastFour,
  MAX_PIN_TRIES,
  refusalMessages,
  tokyoDate,
} from "./holders.js";
import { LoginThrottle } from "./login-throttle.js";
import { errorBody, type Html, html, sendPage } from "./pages.js";
import type { StateStore } from "./state.js";

/**
 * The interaction pages of both realms (the provider redirects here from /auth):
 * card realm — pick a card, enter the 4-digit 利用者証明用 PIN; staff realm — id and password.
 * Entering the PIN (or the password) is also the consent to give the requested claims.
 */

const scopeLabels: Record<string, string> = {
  name: "氏名（ふりがな）",
  address: "住所",
  birthdate: "生年月日",
  gender: "性別",
  sign: "署名用電子証明書の有効性",
  profile: "職員の氏名・所属団体・権限",
};

interface Common {
  provider: Provider;
  clientName: string;
  formTargets: string[];
  logger: Logger;
}

export function constantEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function details(c: Common, req: Request, res: Response): Promise<InteractionDetails | null> {
  try {
    const d = await c.provider.interactionDetails(req, res);
    if (d.uid !== req.params.uid) throw new Error("interaction mismatch");
    return d;
  } catch {
    sendPage(res, {
      status: 400,
      title: "手続きの期限切れ",
      body: errorBody(
        "認証の手続きが見つからないか、期限が切れました。",
        "元のサービスに戻って、もう一度ログインしてください。",
      ),
    });
    return null;
  }
}

function requestedScopes(d: InteractionDetails, supported: readonly string[]): string[] {
  const asked = String(d.params.scope ?? "").split(" ");
  return supported.filter((s) => asked.includes(s));
}

async function finish(
  c: Common,
  req: Request,
  res: Response,
  d: InteractionDetails,
  accountId: string,
  scopes: string[],
): Promise<void> {
  const grant = new c.provider.Grant({ accountId, clientId: String(d.params.client_id) });
  grant.addOIDCScope(scopes.join(" "));
  const grantId = await grant.save();
  await c.provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

// Parsed per route: the provider's own endpoints under the same prefix read their bodies themselves.
const form = express.urlencoded({ extended: false, limit: "10kb" });

function cancelForm(uid: string, base: string): Html {
  return html`<form method="post" action="${base}/interaction/${uid}/abort">
<button type="submit" class="secondary">キャンセルしてサービスに戻る</button>
</form>`;
}

export interface CardInteractionOptions extends Common {
  realmPath: string;
  holders: Holder[];
  state: StateStore;
  now: () => Date;
  scopes: readonly string[];
}

export function cardInteractions(o: CardInteractionOptions): express.Router {
  const router = express.Router();
  const base = o.realmPath;
  const bySub = new Map(o.holders.map((h) => [h.sub, h]));

  router.get("/interaction/:uid", async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    const uid = d.uid;
    sendPage(res, {
      title: "マイナンバーカードを読み取る",
      formTargets: o.formTargets,
      body: html`<p>${o.clientName}へのログインに使うマイナンバーカードを選んでください。</p>
<p class="hint">（模擬: カードをスマートフォンにかざす代わりに、一覧から選びます。）</p>
<form method="post" action="${base}/interaction/${uid}/card">
<ul class="cards">
${o.holders.map(
  (
    h,
  ) => html`<li><button type="submit" name="card" value="${h.sub}">${fullName(h.person)}（${fullNameKana(h.person)}）
カード番号 末尾 ${lastFour(h.card.cardNumber)}</button></li>
`,
)}
</ul>
</form>
${cancelForm(uid, base)}`,
    });
  });

  const pinPage = (res: Response, uid: string, holder: Holder, d: InteractionDetails, error?: string) => {
    const scopes = requestedScopes(d, o.scopes).filter((s) => s !== "openid");
    sendPage(res, {
      status: error ? 400 : 200,
      title: "利用者証明用電子証明書の暗証番号",
      formTargets: o.formTargets,
      body: html`<p>${fullName(holder.person)} さんのカード（カード番号 末尾 ${lastFour(holder.card.cardNumber)}）</p>
${
  scopes.length
    ? html`<p>ログインすると、${o.clientName}に次の情報が提供されます。</p>
<ul>${scopes.map((s) => html`<li>${scopeLabels[s] ?? s}</li>`)}</ul>`
    : ""
}
<form method="post" action="${base}/interaction/${uid}/pin" novalidate>
<input type="hidden" name="card" value="${holder.sub}">
<label for="pin">利用者証明用電子証明書の暗証番号（数字4桁）</label>
<p class="hint" id="pin-hint">3回続けて間違えるとロックされます。</p>
${error ? html`<p class="error" id="pin-error" role="alert">${error}</p>` : ""}
<input type="password" id="pin" name="pin" inputmode="numeric" autocomplete="off" maxlength="4" pattern="[0-9]{4}" required
 aria-describedby="pin-hint${error ? " pin-error" : ""}"${error ? html` aria-invalid="true"` : ""} autofocus>
<div><button type="submit">ログインする</button></div>
</form>
<p><a href="${base}/interaction/${uid}">別のカードを選ぶ</a></p>
${cancelForm(uid, base)}`,
    });
  };

  const refusalPage = (res: Response, uid: string, reason: keyof typeof refusalMessages) => {
    sendPage(res, {
      status: 403,
      title: "このカードではログインできません",
      formTargets: o.formTargets,
      body: html`<p class="notice" role="alert">${refusalMessages[reason]}</p>
<p><a href="${base}/interaction/${uid}">別のカードを選ぶ</a></p>
${cancelForm(uid, base)}`,
    });
  };

  router.post("/interaction/:uid/card", form, async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    const holder = bySub.get(String(req.body?.card ?? ""));
    if (!holder) {
      res.redirect(303, `${base}/interaction/${d.uid}`);
      return;
    }
    const refusal = certificateRefusal(holder, "auth", o.state.state, tokyoDate(o.now()));
    if (refusal) {
      o.logger.info({ reason: refusal }, "card login refused");
      refusalPage(res, d.uid, refusal);
      return;
    }
    pinPage(res, d.uid, holder, d);
  });

  router.post("/interaction/:uid/pin", form, async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    const holder = bySub.get(String(req.body?.card ?? ""));
    if (!holder) {
      res.redirect(303, `${base}/interaction/${d.uid}`);
      return;
    }
    const refusal = certificateRefusal(holder, "auth", o.state.state, tokyoDate(o.now()));
    if (refusal) {
      o.logger.info({ reason: refusal }, "card login refused");
      refusalPage(res, d.uid, refusal);
      return;
    }
    const pin = String(req.body?.pin ?? "");
    if (!/^\d{4}$/.test(pin)) {
      // Not sent to the card: a malformed entry does not count as a wrong PIN.
      pinPage(res, d.uid, holder, d, "暗証番号は数字4桁で入力してください。");
      return;
    }
    const serial = holder.card.authCert.serial;
    if (!constantEquals(pin, holder.card.pins.auth)) {
      const left = o.state.recordFailure(serial, MAX_PIN_TRIES.auth);
      o.logger.info({ kind: "auth", triesLeft: left }, "wrong card PIN");
      if (left === 0) {
        refusalPage(res, d.uid, "cert_locked");
        return;
      }
      pinPage(res, d.uid, holder, d, `暗証番号が違います。あと${left}回間違えるとロックされます。`);
      return;
    }
    o.state.recordSuccess(serial);
    await finish(o, req, res, d, holder.sub, requestedScopes(d, o.scopes));
  });

  router.post("/interaction/:uid/abort", form, async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    await o.provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "the holder cancelled (利用者がキャンセルしました)" },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}

export interface StaffInteractionOptions extends Common {
  realmPath: string;
  staff: World["staff"];
  scopes: readonly string[];
  /** The clock of the password lock-out (login-throttle.ts). */
  now?: () => Date;
}

export function staffInteractions(o: StaffInteractionOptions): express.Router {
  const router = express.Router();
  const base = o.realmPath;
  const throttle = new LoginThrottle(o.now ?? (() => new Date()));

  const loginPage = (res: Response, uid: string, staffId = "", error?: string) =>
    sendPage(res, {
      status: error ? 401 : 200,
      title: "職員ログイン",
      formTargets: o.formTargets,
      body: html`<p>${o.clientName}にログインします。</p>
${error ? html`<p class="error" id="login-error" role="alert">${error}</p>` : ""}
<form method="post" action="${base}/interaction/${uid}/login" novalidate>
<label for="staff-id">職員ID</label>
<input type="text" id="staff-id" name="staffId" value="${staffId}" autocomplete="username" required${error ? html` aria-describedby="login-error" aria-invalid="true"` : ""} autofocus>
<label for="password">パスワード</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${error ? html` aria-describedby="login-error" aria-invalid="true"` : ""}>
<div><button type="submit">ログインする</button></div>
</form>
${cancelForm(uid, base)}`,
    });

  router.get("/interaction/:uid", async (req, res) => {
    const d = await details(o, req, res);
    if (d) loginPage(res, d.uid);
  });

  router.post("/interaction/:uid/login", form, async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    const staffId = String(req.body?.staffId ?? "").trim();
    const password = String(req.body?.password ?? "");
    const lock = throttle.locked(staffId);
    if (lock.locked) {
      o.logger.warn("staff login refused: locked after repeated failures");
      loginPage(
        res,
        d.uid,
        staffId,
        `ログインの失敗が続いたため、この職員IDでのログインを一時的に止めています。${lock.minutesLeft}分後にもう一度お試しください。`,
      );
      return;
    }
    const member = o.staff.find((s) => s.id === staffId);
    if (!member || !constantEquals(password, member.password)) {
      throttle.failed(staffId);
      o.logger.info("staff login refused");
      loginPage(res, d.uid, staffId, "職員IDまたはパスワードが違います。");
      return;
    }
    throttle.succeeded(staffId);
    await finish(o, req, res, d, member.id, requestedScopes(d, o.scopes));
  });

  router.post("/interaction/:uid/abort", form, async (req, res) => {
    const d = await details(o, req, res);
    if (!d) return;
    await o.provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "cancelled (キャンセルされました)" },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}

import { randomBytes, sign } from "node:crypto";
import express, { type Response } from "express";
import { z } from "zod";
import type { Logger } from "../../lib/logger.js";
import type { MockJpkiCa } from "./ca.js";
import { type ClientAssertionVerifier, ClientAuthError } from "./client-auth.js";
import {
  certificateRefusal,
  fullName,
  type Holder,
  lastFour,
  MAX_PIN_TRIES,
  type RefusalReason,
  refusalMessages,
  tokyoDate,
} from "./holders.js";
import { constantEquals } from "./interactions.js";
import { errorBody, html, sendPage } from "./pages.js";
import type { StateStore } from "./state.js";

/**
 * The signing API, after デジタル認証アプリ's 署名 flow: the RP asks for a signature over a
 * SHA-256 digest, the holder confirms on the IdP's page with the signing password, the RP
 * fetches the signature and the 署名用電子証明書 (issued by the mock JPKI CA).
 */

const PENDING_TTL_MS = 10 * 60_000;
const RESULT_TTL_MS = 60 * 60_000;

type Status = "pending" | "signed" | "cancelled" | "refused" | "expired";

interface SigningRequest {
  id: string;
  clientId: string;
  holder: Holder;
  digest: string;
  description: string;
  returnTo: string;
  createdAt: number;
  status: Status;
  reason?: RefusalReason;
  signature?: string;
  certificate?: string;
  signedAt?: string;
}

const createSchema = z.object({
  sub: z.string().min(1).max(200),
  digest: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "digest must be the base64url (no padding) of 32 bytes")
    .refine((d) => Buffer.from(d, "base64url").length === 32, "digest must be 32 bytes"),
  description: z
    .string()
    .min(1)
    .max(200)
    .refine((d) => !/[<>]/.test(d), "description must not contain markup"),
  return_to: z.string().url(),
});

export interface SigningOptions {
  realmPath: string;
  issuer: string;
  publicUrl: string;
  holders: Holder[];
  state: StateStore;
  ca: MockJpkiCa;
  verifier: ClientAssertionVerifier;
  /** Per client: display name and the origin `return_to` must have. */
  clients: Map<string, { name: string; origin: string }>;
  now: () => Date;
  logger: Logger;
}

export function signingRoutes(o: SigningOptions): express.Router {
  const router = express.Router();
  const bySub = new Map(o.holders.map((h) => [h.sub, h]));
  const requests = new Map<string, SigningRequest>();
  const base = o.realmPath;
  const formTargets = [...o.clients.values()].map((c) => c.origin);

  const prune = () => {
    const t = Date.now();
    for (const [id, r] of requests) {
      if (r.status === "pending" && t - r.createdAt > PENDING_TTL_MS) r.status = "expired";
      if (t - r.createdAt > RESULT_TTL_MS) requests.delete(id);
    }
  };

  const authenticate = async (body: unknown, res: Response, path: string): Promise<string | null> => {
    try {
      return await o.verifier.verify(body, [o.issuer, `${o.publicUrl}${path}`]);
    } catch (err) {
      if (!(err instanceof ClientAuthError)) throw err;
      o.logger.warn({ problem: err.message }, "signing API: client authentication failed");
      res.status(401).json({ error: "invalid_client", error_description: err.message });
      return null;
    }
  };

  const refusal = (holder: Holder) => certificateRefusal(holder, "sign", o.state.state, tokyoDate(o.now()));

  router.post("/signing/requests", express.json({ limit: "20kb" }), async (req, res) => {
    const clientId = await authenticate(req.body, res, `${base}/signing/requests`);
    if (!clientId) return;
    const parsed = createSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({
        error: "invalid_request",
        error_description: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      });
      return;
    }
    const client = o.clients.get(clientId)!;
    const returnTo = new URL(parsed.data.return_to);
    if (returnTo.origin !== client.origin) {
      res
        .status(400)
        .json({ error: "invalid_request", error_description: "return_to must be under the client's URL" });
      return;
    }
    const holder = bySub.get(parsed.data.sub);
    if (!holder) {
      res.status(404).json({ error: "not_found", error_description: "unknown sub" });
      return;
    }
    const reason = refusal(holder);
    if (reason) {
      o.logger.info({ reason }, "signing request refused");
      res.status(409).json({ error: "signing_unavailable", reason, message: refusalMessages[reason] });
      return;
    }
    prune();
    const id = randomBytes(16).toString("base64url");
    requests.set(id, {
      id,
      clientId,
      holder,
      digest: parsed.data.digest,
      description: parsed.data.description,
      returnTo: returnTo.href,
      createdAt: Date.now(),
      status: "pending",
    });
    res.status(201).json({
      request_id: id,
      signing_url: `${o.issuer}/signing/${id}`,
      expires_at: new Date(Date.now() + PENDING_TTL_MS).toISOString(),
    });
  });

  router.post("/signing/requests/:id/result", express.json({ limit: "20kb" }), async (req, res) => {
    const clientId = await authenticate(req.body, res, `${base}/signing/requests/${req.params.id}/result`);
    if (!clientId) return;
    prune();
    const r = requests.get(req.params.id);
    if (!r || r.clientId !== clientId) {
      res.status(404).json({ error: "not_found" });
      return;
    }
    const common = { request_id: r.id, status: r.status, sub: r.holder.sub, digest: r.digest };
    if (r.status !== "signed") {
      res.json({ ...common, ...(r.reason ? { reason: r.reason, message: refusalMessages[r.reason] } : {}) });
      return;
    }
    res.json({
      ...common,
      signature: r.signature,
      signature_algorithm: "ECDSA-P256-SHA256",
      certificate: r.certificate,
      chain: [o.ca.rootPem],
      certificate_serial: r.holder.card.signCert?.serial,
      signed_at: r.signedAt,
    });
  });

  const back = (r: SigningRequest, extra: Record<string, string>) => {
    const url = new URL(r.returnTo);
    url.searchParams.set("request_id", r.id);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return url.href;
  };

  const gone = (res: Response) =>
    sendPage(res, {
      status: 404,
      title: "署名の要求が見つかりません",
      body: errorBody(
        "署名の要求が見つからないか、期限が切れました。",
        "元のサービスに戻って、もう一度やり直してください。",
      ),
    });

  const refusedPage = (res: Response, r: SigningRequest, reason: RefusalReason) =>
    sendPage(res, {
      status: 403,
      title: "署名できません",
      formTargets,
      body: html`<p class="notice" role="alert">${refusalMessages[reason]}</p>
<p><a href="${back(r, { error: "signing_unavailable", reason })}">${o.clients.get(r.clientId)?.name ?? "サービス"}に戻る</a></p>`,
    });

  const signPage = (res: Response, r: SigningRequest, error?: string) => {
    const hex = Buffer.from(r.digest, "base64url").toString("hex").toUpperCase();
    const grouped = hex.match(/.{1,8}/g)?.join(" ") ?? hex;
    sendPage(res, {
      status: error ? 400 : 200,
      title: "電子署名",
      formTargets,
      body: html`<p>${o.clients.get(r.clientId)?.name ?? r.clientId}から、次の内容への電子署名を求められています。</p>
<dl>
<dt>署名する内容</dt><dd>${r.description}</dd>
<dt>内容のハッシュ値（SHA-256）</dt><dd class="digest">${grouped}</dd>
<dt>使うカード</dt><dd>${fullName(r.holder.person)} さんのカード（カード番号 末尾 ${lastFour(r.holder.card.cardNumber)}）</dd>
</dl>
<form method="post" action="${base}/signing/${r.id}" novalidate>
<label for="pin">署名用電子証明書の暗証番号（英数字6〜16文字）</label>
<p class="hint" id="pin-hint">5回続けて間違えるとロックされます。</p>
${error ? html`<p class="error" id="pin-error" role="alert">${error}</p>` : ""}
<input type="password" id="pin" name="pin" autocomplete="off" maxlength="16" required
 aria-describedby="pin-hint${error ? " pin-error" : ""}"${error ? html` aria-invalid="true"` : ""} autofocus>
<div><button type="submit" name="action" value="sign">署名する</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>署名しないで戻る</button></div>
</form>`,
    });
  };

  const pendingRequest = (id: string | undefined) => {
    prune();
    const r = id ? requests.get(id) : undefined;
    return r && r.status === "pending" ? r : undefined;
  };

  router.get("/signing/:id", (req, res) => {
    const r = pendingRequest(req.params.id);
    if (!r) return gone(res);
    const reason = refusal(r.holder);
    if (reason) {
      r.status = "refused";
      r.reason = reason;
      return refusedPage(res, r, reason);
    }
    signPage(res, r);
  });

  router.post("/signing/:id", express.urlencoded({ extended: false, limit: "10kb" }), async (req, res) => {
    const r = pendingRequest(req.params.id);
    if (!r) return gone(res);
    if (req.body?.action === "cancel") {
      r.status = "cancelled";
      res.redirect(303, back(r, { error: "access_denied" }));
      return;
    }
    const reason = refusal(r.holder);
    if (reason) {
      r.status = "refused";
      r.reason = reason;
      return refusedPage(res, r, reason);
    }
    const signCert = r.holder.card.signCert!;
    const pin = String(req.body?.pin ?? "");
    if (!/^[A-Za-z0-9]{6,16}$/.test(pin)) {
      signPage(res, r, "暗証番号は英数字6〜16文字で入力してください。");
      return;
    }
    if (!constantEquals(pin, r.holder.card.pins.sign ?? "")) {
      const left = o.state.recordFailure(signCert.serial, MAX_PIN_TRIES.sign);
      o.logger.info({ kind: "sign", triesLeft: left }, "wrong signing PIN");
      if (left === 0) {
        r.status = "refused";
        r.reason = "cert_locked";
        return refusedPage(res, r, "cert_locked");
      }
      signPage(res, r, `暗証番号が違います。あと${left}回間違えるとロックされます。`);
      return;
    }
    o.state.recordSuccess(signCert.serial);
    const issued = await o.ca.signingCertificate(r.holder);
    r.signature = sign("sha256", Buffer.from(r.digest, "base64url"), issued.privateKey).toString("base64url");
    r.certificate = issued.pem;
    r.signedAt = new Date().toISOString();
    r.status = "signed";
    o.logger.info({ clientId: r.clientId }, "digest signed");
    res.redirect(303, back(r, {}));
  });

  return router;
}

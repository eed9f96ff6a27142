import { createHmac, randomInt } from "node:crypto";
import express, { type Response } from "express";
import { z } from "zod";
import { canSignOnline } from "../../backoffice/register/time-rules.js";
import type { Logger } from "../../lib/logger.js";
import { normalizeAddress } from "../juki-net/matching.js";
import { type ClientAssertionVerifier, ClientAuthError } from "./client-auth.js";
import {
  type CertificateRecord,
  cardRefusal,
  certificateRefusal,
  type Holder,
  lastFour,
  MAX_PIN_TRIES,
  type RefusalReason,
  refusalMessages,
  signCertStatus,
  tokyoDate,
} from "./holders.js";
import { constantEquals } from "./interactions.js";
import type { StateStore } from "./state.js";

/**
 * The counter terminal (窓口端末) API: what the back office's card reader and PIN pad do with a
 * card the resident holds at the counter. The clerk picks the card from the list (the stand-in
 * for putting it on the reader), the resident enters the 4-digit 利用者証明用 PIN, and the
 * terminal reads the card's 基本4情報 (never the 住民票コード or the 個人番号: the card's chip
 * does not give them to the counter). A new 署名用電子証明書 (e.g. after a change of address
 * revoked the old one) is issued here by the mock JPKI CA with the new signing PIN the resident
 * sets. Every call is a JSON POST authenticated with the back office's client assertion
 * (private_key_jwt, like the signing API). Contract: docs/contracts/card-idp.md.
 */

export interface TerminalOptions {
  publicUrl: string;
  /** `${publicUrl}${mountPath}`: the audience of the client assertions (or the exact endpoint URL). */
  mountPath: string;
  holders: Holder[];
  certificates: Map<string, CertificateRecord>;
  state: StateStore;
  verifier: ClientAssertionVerifier;
  /** Keys the card ids (a keyed hash of the card number, so the id reveals nothing). */
  cardIdKey: string;
  now: () => Date;
  logger: Logger;
}

export function cardIdFor(key: string, cardNumber: string): string {
  return createHmac("sha256", key).update(`card:${cardNumber}`).digest("base64url");
}

const cardIdSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "cardId is 43 base64url characters");
const verifySchema = z.object({ cardId: cardIdSchema, pin: z.string().max(64) });
const readSchema = z.object({ cardId: cardIdSchema });
/** 署名用電子証明書の暗証番号: 6–16 letters and digits, at least one of each. */
export const SIGN_PIN = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,16}$/;
const reissueSchema = z.object({
  requestId: z.string().min(1).max(100),
  cardId: cardIdSchema,
  newPin: z.string().max(64),
  address: z.object({
    line: z.string().min(1).max(200),
    prefecture: z.string().max(20).optional(),
    city: z.string().max(40).optional(),
  }),
  /** The holder's name as the register has it now (after a name change, the new one). */
  name: z.object({ family: z.string().min(1).max(100), given: z.string().max(100) }).optional(),
});

/** Applies the signing certificates issued at the counter (state) over the world file's cards. */
export function applyReissues(
  holders: Holder[],
  certificates: Map<string, CertificateRecord>,
  state: StateStore,
): void {
  for (const holder of holders) {
    const entry = state.state.reissued[holder.card.cardNumber];
    if (entry) install(holder, certificates, entry);
  }
}

function install(
  holder: Holder,
  certificates: Map<string, CertificateRecord>,
  entry: StateStore["state"]["reissued"][string],
): void {
  // New objects, so the world file's people (shared with other stand-ins) stay as read.
  holder.card = {
    ...holder.card,
    signCert: { serial: entry.serial, expiresOn: entry.expiresOn, status: "valid" },
    pins: { ...holder.card.pins, sign: entry.pin },
  };
  holder.person = {
    ...holder.person,
    ...(entry.name ? { name: { ...holder.person.name, ...entry.name } } : {}),
    address: {
      ...holder.person.address,
      line: entry.address.line,
      ...(entry.address.prefecture ? { prefecture: entry.address.prefecture } : {}),
      ...(entry.address.city ? { city: entry.address.city } : {}),
    },
  };
  certificates.set(entry.serial, {
    serial: entry.serial,
    kind: "sign",
    expiresOn: entry.expiresOn,
    holder,
  });
}

/**
 * What a holder's valid 署名用電子証明書 no longer matches: J-LIS revokes it when any of the
 * 基本4情報 written into it changes (address, name, birth date, sex). Returns the revocation
 * reason, or undefined when everything given still matches. The holder carries the certificate's
 * current address and name (install() applies a reissue).
 */
export function signCertChange(
  holder: Holder,
  now: {
    addressLine: string;
    name?: { family: string; given: string };
    birthDate?: string;
    sex?: "male" | "female";
  },
): "addressChange" | "nameChange" | "birthDateChange" | "sexChange" | undefined {
  const p = holder.person;
  if (normalizeAddress(now.addressLine) !== normalizeAddress(p.address.line)) return "addressChange";
  if (now.name && (now.name.family !== p.name.family || now.name.given !== p.name.given)) return "nameChange";
  if (now.birthDate && now.birthDate !== p.birthDate) return "birthDateChange";
  if (now.sex && now.sex !== p.sex) return "sexChange";
  return undefined;
}

/** The 5th birthday after issuance (署名用電子証明書の有効期限), not after the card's own expiry. */
export function signCertExpiry(birthDate: string, today: string, cardExpiresOn: string): string {
  const year = Number(today.slice(0, 4)) + 5;
  let md = birthDate.slice(5);
  if (md === "02-29") md = "02-28";
  const fifth = `${year}-${md}`;
  return fifth < cardExpiresOn ? fifth : cardExpiresOn;
}

function newSerial(taken: Map<string, CertificateRecord>): string {
  for (;;) {
    const serial = `${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, "0")}${String(randomInt(0, 1e6)).padStart(6, "0")}`;
    if (!taken.has(serial)) return serial;
  }
}

export function terminalRoutes(o: TerminalOptions): express.Router {
  const router = express.Router();
  const byCardId = new Map(o.holders.map((h) => [cardIdFor(o.cardIdKey, h.card.cardNumber), h]));
  const reissueAnswers = new Map<string, { status: number; body: unknown }>();
  const today = () => tokyoDate(o.now());

  const authenticate = async (body: unknown, res: Response, path: string): Promise<boolean> => {
    try {
      await o.verifier.verify(body, [`${o.publicUrl}${o.mountPath}`, `${o.publicUrl}${o.mountPath}${path}`]);
      return true;
    } catch (err) {
      if (!(err instanceof ClientAuthError)) throw err;
      o.logger.warn({ problem: err.message }, "card terminal: client authentication failed");
      res.status(401).json({ error: "invalid_client", error_description: err.message });
      return false;
    }
  };

  const invalid = (res: Response, err: z.ZodError) =>
    res.status(400).json({
      error: "invalid_request",
      // Field paths and rules only: the values (a PIN) are never echoed.
      error_description: err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    });

  const refused = (res: Response, reason: RefusalReason, extra: Record<string, unknown> = {}) =>
    res.status(409).json({ error: "card_refused", reason, message: refusalMessages[reason], ...extra });

  const summary = (h: Holder) => {
    const t = today();
    const { card, person } = h;
    return {
      card: {
        cardId: cardIdFor(o.cardIdKey, card.cardNumber),
        cardNumber: card.cardNumber,
        lastFour: lastFour(card.cardNumber),
        status: card.status,
        expiresOn: card.expiresOn,
        usable: cardRefusal(h, t) === null,
        refusal: cardRefusal(h, t),
        authCert: { status: certificateRefusal(h, "auth", o.state.state, t) ?? "valid" },
        signCert: {
          status: signCertStatus(h, o.state.state, t),
          ...(card.signCert ? { expiresOn: card.signCert.expiresOn } : {}),
        },
      },
      holder: {
        name: {
          family: person.name.family,
          given: person.name.given,
          familyKana: person.name.familyKana,
          givenKana: person.name.givenKana,
        },
        birthDate: person.birthDate,
        sex: person.sex,
        address: person.address.line,
      },
    };
  };

  /** The cards on the counter (the stand-in for the reader): id, holder's name, last 4 digits. */
  router.post("/cards", express.json({ limit: "20kb" }), async (req, res) => {
    if (!(await authenticate(req.body, res, "/cards"))) return;
    res.set("cache-control", "no-store").json({
      cards: o.holders.map((h) => ({
        cardId: cardIdFor(o.cardIdKey, h.card.cardNumber),
        name: `${h.person.name.family} ${h.person.name.given}`,
        nameKana: `${h.person.name.familyKana} ${h.person.name.givenKana}`,
        lastFour: lastFour(h.card.cardNumber),
      })),
    });
  });

  /** Reads the card without a PIN (券面事項: what is printed on it) and its state. */
  router.post("/read", express.json({ limit: "20kb" }), async (req, res) => {
    if (!(await authenticate(req.body, res, "/read"))) return;
    const parsed = readSchema.safeParse(req.body);
    if (!parsed.success) return void invalid(res, parsed.error);
    const holder = byCardId.get(parsed.data.cardId);
    if (!holder) return void res.status(404).json({ error: "not_found" });
    res.set("cache-control", "no-store").json({ verified: false, ...summary(holder) });
  });

  /** 本人確認: the 4-digit 利用者証明用 PIN; three wrong ones lock the certificate (as at login). */
  router.post("/verify", express.json({ limit: "20kb" }), async (req, res) => {
    if (!(await authenticate(req.body, res, "/verify"))) return;
    const parsed = verifySchema.safeParse(req.body);
    if (!parsed.success) return void invalid(res, parsed.error);
    const holder = byCardId.get(parsed.data.cardId);
    if (!holder) return void res.status(404).json({ error: "not_found" });
    const reason = certificateRefusal(holder, "auth", o.state.state, today());
    if (reason) {
      o.logger.info({ reason }, "card terminal: card refused");
      return void refused(res, reason);
    }
    const pin = parsed.data.pin;
    if (!/^\d{4}$/.test(pin)) {
      // Not sent to the card: a malformed entry does not count as a wrong PIN.
      return void res.status(400).json({
        error: "invalid_request",
        error_description: "pin: 暗証番号は数字4桁で入力してください",
      });
    }
    const serial = holder.card.authCert.serial;
    if (!constantEquals(pin, holder.card.pins.auth)) {
      const left = o.state.recordFailure(serial, MAX_PIN_TRIES.auth);
      o.logger.info({ kind: "auth", triesLeft: left }, "card terminal: wrong PIN");
      if (left === 0) return void refused(res, "cert_locked", { triesLeft: 0 });
      return void res.status(409).json({
        error: "pin_mismatch",
        reason: "pin_mismatch",
        triesLeft: left,
        message: `暗証番号が違います。あと${left}回間違えるとロックされます。`,
      });
    }
    o.state.recordSuccess(serial);
    res.set("cache-control", "no-store").json({ verified: true, ...summary(holder) });
  });

  /**
   * A new 署名用電子証明書 for the card (the old one revoked by a move, expired, or never
   * issued), with the new signing PIN the resident set at the counter. Idempotent under
   * `requestId`: a repeat answers the first success and issues nothing more.
   */
  router.post("/sign-cert/reissue", express.json({ limit: "20kb" }), async (req, res) => {
    if (!(await authenticate(req.body, res, "/sign-cert/reissue"))) return;
    const parsed = reissueSchema.safeParse(req.body);
    if (!parsed.success) return void invalid(res, parsed.error);
    const { requestId, cardId, newPin, address, name } = parsed.data;
    const known =
      reissueAnswers.get(requestId) ??
      (() => {
        for (const [cardNumber, e] of Object.entries(o.state.state.reissued)) {
          if (e.requestId === requestId)
            return {
              status: 201,
              body: {
                requestId,
                cardId: cardIdFor(o.cardIdKey, cardNumber),
                serial: e.serial,
                expiresOn: e.expiresOn,
              },
            };
        }
        return undefined;
      })();
    if (known) return void res.status(known.status).json({ ...(known.body as object), repeated: true });
    const holder = byCardId.get(cardId);
    if (!holder) return void res.status(404).json({ error: "not_found" });
    const t = today();
    const cardReason = cardRefusal(holder, t);
    if (cardReason) return void refused(res, cardReason);
    const current = signCertStatus(holder, o.state.state, t);
    // A valid certificate that still carries the old address or name is what a move or a name
    // change revokes: the CA revokes it and issues the new one. Nothing changed: nothing to do.
    const changed = signCertChange(holder, { addressLine: address.line, ...(name ? { name } : {}) });
    if (current === "valid" && !changed) {
      return void res.status(409).json({
        error: "card_refused",
        reason: "sign_cert_valid",
        message: "署名用電子証明書は有効です（住所も氏名も変わっていません）。新しい証明書は発行しません。",
      });
    }
    // No 署名用電子証明書 for a child under 15.
    if (!canSignOnline(holder.person.birthDate, t)) return void refused(res, "no_sign_cert");
    if (!SIGN_PIN.test(newPin)) {
      return void res.status(400).json({
        error: "invalid_request",
        error_description: "newPin: 英字と数字を組み合わせた6〜16文字で設定してください",
      });
    }
    if (current === "valid" && holder.card.signCert && changed) {
      o.state.revoke(holder.card.signCert.serial, changed, o.now());
      o.logger.info({ kind: "sign", reason: changed }, "card terminal: old signing certificate revoked");
    }
    const entry = {
      requestId,
      serial: newSerial(o.certificates),
      expiresOn: signCertExpiry(holder.person.birthDate, t, holder.card.expiresOn),
      issuedAt: o.now().toISOString(),
      pin: newPin,
      address,
      ...(name ? { name } : {}),
    };
    o.state.recordReissue(holder.card.cardNumber, entry);
    install(holder, o.certificates, entry);
    o.logger.info({ kind: "sign" }, "card terminal: signing certificate issued");
    const body = { requestId, cardId, serial: entry.serial, expiresOn: entry.expiresOn };
    reissueAnswers.set(requestId, { status: 201, body });
    res.status(201).json(body);
  });

  return router;
}

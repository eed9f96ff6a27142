/**
 * Card processing at the counter (issue 6, item 5): 継続利用, 券面記載事項変更, a new 署名用電子
 * 証明書, 交付, 廃止, 回収, 一時停止解除, 返納 — each checked here (role, municipality, the card
 * belongs to the resident, the register's rules such as the 90 days of 継続利用), recorded under
 * the counter's request key, then sent to J-LIS synchronously (docs/decisions/013).
 *
 * Steps: (1) one transaction claims the request key and stores the exact J-LIS request as
 * `pending` (audited); (2) the request goes out (for a signing certificate, first the JPKI CA
 * of the card stand-in issues it with the new PIN); (3) a second transaction stores J-LIS's
 * answer (audited). When (2) gets no definitive answer the row stays `pending`; the same form
 * sent again with the same request key resends the same request (same id), and J-LIS acts once.
 * PINs are never stored or logged.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { CardOperationName } from "../../db/types/cards.js";
import { appendAudit, canonicalJson } from "../register/audit.js";
import { type Actor, authorizeOrAudit } from "../register/authorization.js";
import { RegisterValidationError, RequestKeyReusedError } from "../register/errors.js";
import { normalizeKana, normalizeName } from "../register/names.js";
import { loadMunicipality } from "../register/records.queries.js";
import { cardContinuedUseDeadline, type IsoDate } from "../register/time-rules.js";
import { type CardReading, type CardTerminal, CardTerminalUnavailableError } from "./card-terminal.js";
import {
  type CardOperationRow,
  cardOperationByRequestKey,
  insertCardOperation,
  latestMoveIn,
  lockCardOperation,
  type ResidentForCards,
  recordAttempt,
  residentForCards,
} from "./cards.queries.js";
import { CardWorkNotFoundError } from "./identity-check.js";
import { type CardManagementClient, type JlisRequest, JlisUnavailableError } from "./jlis-client.js";

export const CARD_OPERATIONS = [
  "continuedUse",
  "surfaceUpdate",
  "signCertReissue",
  "issue",
  "abolish",
  "collect",
  "unsuspend",
  "return",
] as const satisfies readonly CardOperationName[];

export const OPERATION_LABELS: Record<CardOperationName, string> = {
  continuedUse: "継続利用",
  surfaceUpdate: "券面記載事項変更（新しい住所の記載）",
  signCertReissue: "署名用電子証明書の発行（転居等で失効した分）",
  issue: "交付",
  abolish: "廃止",
  collect: "回収",
  unsuspend: "一時停止解除",
  return: "返納",
};

/** Operations for which the resident enters the 4-digit 利用者証明用 PIN at the terminal. */
export const NEEDS_PIN: ReadonlySet<CardOperationName> = new Set(["continuedUse", "signCertReissue"]);
/** Operations on a card the resident can use (the record must be current). */
const NEEDS_CURRENT_RECORD: ReadonlySet<CardOperationName> = new Set([
  "continuedUse",
  "surfaceUpdate",
  "signCertReissue",
  "issue",
  "unsuspend",
]);
/** 署名用電子証明書の暗証番号: 6–16 letters and digits, at least one of each. */
export const SIGN_PIN = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,16}$/;

export interface ProcessingDeps {
  db: Kysely<BackofficeDatabase>;
  terminal: CardTerminal;
  jlis: CardManagementClient;
}

export interface CardOperationInput {
  actor: Actor;
  /** The business day (the register never reads the clock for dates). */
  today: IsoDate;
  requestKey: string;
  residentId: string;
  operation: CardOperationName;
  cardId: string;
  /** 4-digit 利用者証明用 PIN (NEEDS_PIN operations). */
  pin?: string;
  /** The new 署名用 PIN the resident sets (signCertReissue). */
  newSignPin?: string;
}

export interface CardOperationResult {
  operationId: string;
  requestKey: string;
  operation: CardOperationName;
  status: "accepted" | "refused" | "pending";
  /** Japanese, for the screen. */
  message: string;
  refusalCode: string | null;
  newSignSerial: string | null;
  attempts: number;
  replayed: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Back-office refusals (before anything is sent), code → reason. */
export const LOCAL_REFUSALS = {
  continuedUseExpired: "転入届から90日を過ぎたため、継続利用の処理はできません（カードは失効しています）。",
  noMoveIn: "この住民記録には転入の届出がないため、継続利用の処理はありません。",
  notCurrent: "住民記録が消除または転出予定のため、この手続はできません。",
  addressUnchanged: "カードの住所は既に住民記録の住所と同じです。",
} as const;

function resultOf(row: CardOperationRow, replayed: boolean): CardOperationResult {
  const label = OPERATION_LABELS[row.operation];
  const message =
    row.status === "accepted"
      ? `${label}を J-LIS が受け付けました。`
      : row.status === "refused"
        ? `${label}はできません: ${row.refusal_message ?? row.refusal_code ?? ""}`
        : `${label}の送信が完了していません（${row.last_error ?? "未送信"}）。「再送する」で同じ要求をもう一度送ってください（二重には処理されません）。`;
  return {
    operationId: row.id,
    requestKey: row.request_key,
    operation: row.operation,
    status: row.status,
    message,
    refusalCode: row.refusal_code,
    newSignSerial: row.new_sign_serial,
    attempts: row.attempts,
    replayed,
  };
}

function digestOf(input: CardOperationInput): Buffer {
  return createHash("sha256")
    .update(canonicalJson({ residentId: input.residentId, operation: input.operation, cardId: input.cardId }))
    .digest();
}

function holderMatches(reading: CardReading, r: ResidentForCards): boolean {
  const h = reading.holder;
  return (
    normalizeName(h.name.family + h.name.given) === normalizeName(r.familyName + r.givenName) &&
    normalizeKana(h.name.familyKana + h.name.givenKana) === normalizeKana(r.familyKana + r.givenKana) &&
    h.birthDate === r.birthDate &&
    h.sex === r.sex
  );
}

const sameAddress = (a: string, b: string) =>
  a.normalize("NFKC").replace(/\s/g, "") === b.normalize("NFKC").replace(/\s/g, "");

/**
 * Runs one card operation. Throws RegisterValidationError (field → Japanese message) for bad
 * input, ForbiddenError for role/municipality refusals (audited), CardWorkNotFoundError,
 * CardTerminalUnavailableError (nothing recorded; try again). Returns `pending` when J-LIS gave
 * no definitive answer (retry with the same request key).
 */
export async function processCard(
  deps: ProcessingDeps,
  input: CardOperationInput,
): Promise<CardOperationResult> {
  const { db } = deps;
  const { actor } = input;
  if (!UUID.test(input.residentId)) throw new CardWorkNotFoundError("住民記録が見つかりません");
  const resident = await residentForCards(db, input.residentId);
  if (!resident) throw new CardWorkNotFoundError("住民記録が見つかりません");
  const role = await authorizeOrAudit(db, actor, "cardOperation", resident.lgCode);

  const errors: Record<string, string> = {};
  if (!/^[\w-]{8,100}$/.test(input.requestKey))
    errors.requestKey = "画面を読み込み直してからやり直してください";
  if (!(CARD_OPERATIONS as readonly string[]).includes(input.operation))
    errors.operation = "手続を選んでください";
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.cardId)) errors.cardId = "カードを選んでください";
  if (NEEDS_PIN.has(input.operation) && !/^\d{4}$/.test(input.pin ?? ""))
    errors.pin = "利用者証明用電子証明書の暗証番号（数字4桁）を入力してください";
  if (input.operation === "signCertReissue" && !SIGN_PIN.test(input.newSignPin ?? ""))
    errors.newSignPin = "新しい署名用暗証番号は、英字と数字を組み合わせた6〜16文字で設定してください";
  if (Object.keys(errors).length) throw new RegisterValidationError(errors);

  const digest = digestOf(input);
  const earlier = await cardOperationByRequestKey(db, input.requestKey);
  if (earlier) {
    if (!earlier.payload_digest.equals(digest) || earlier.resident_id !== resident.id)
      throw new RequestKeyReusedError(input.requestKey);
    if (earlier.status !== "pending") return resultOf(earlier, true);
    return send(deps, earlier, input, role);
  }

  // Read the card on the terminal (with the PIN where the procedure needs it).
  let reading: CardReading;
  if (NEEDS_PIN.has(input.operation)) {
    const v = await deps.terminal.verify(input.cardId, input.pin ?? "");
    if (v.kind === "unknownCard")
      throw new RegisterValidationError({ cardId: "カードを読み取れませんでした" });
    if (v.kind === "badPin") throw new RegisterValidationError({ pin: v.message });
    if (v.kind === "pinMismatch") throw new RegisterValidationError({ pin: v.message });
    if (v.kind === "refused") throw new RegisterValidationError({ cardId: v.message });
    reading = v;
  } else {
    const r = await deps.terminal.read(input.cardId);
    if (!r) throw new RegisterValidationError({ cardId: "カードを読み取れませんでした" });
    reading = r;
  }
  if (!holderMatches(reading, resident))
    throw new RegisterValidationError({
      cardId:
        "このカードの名義（氏名・生年月日・性別）が住民記録と一致しません。本人のカードか確かめてください",
    });

  // The register's own rules, before anything leaves.
  let localRefusal: keyof typeof LOCAL_REFUSALS | null = null;
  let localDetail = "";
  const request: JlisRequest = {
    id: randomUUID(),
    lgCode: resident.lgCode,
    cardNumber: reading.card.cardNumber,
    operation: input.operation,
  };
  if (NEEDS_CURRENT_RECORD.has(input.operation) && resident.status !== "active") localRefusal = "notCurrent";
  else if (input.operation === "continuedUse") {
    const moveIn = await latestMoveIn(db, resident.id);
    const notifiedOn = moveIn?.notifiedOn ?? null;
    if (!notifiedOn) localRefusal = "noMoveIn";
    else {
      const deadline = cardContinuedUseDeadline(notifiedOn);
      if (input.today > deadline) {
        localRefusal = "continuedUseExpired";
        localDetail = `（転入届 ${notifiedOn}、期限 ${deadline}）`;
      }
      request.moveInNotifiedOn = notifiedOn;
    }
  } else if (input.operation === "surfaceUpdate") {
    if (sameAddress(reading.holder.address, resident.addressLine)) localRefusal = "addressUnchanged";
    request.newAddress = resident.addressLine;
  }

  const row = {
    id: request.id,
    request_key: input.requestKey,
    payload_digest: digest,
    lg_code: resident.lgCode,
    resident_id: resident.id,
    operation: input.operation,
    card_number: reading.card.cardNumber,
    card_last_four: reading.card.lastFour,
    request: JSON.stringify(request),
    requested_by: actor.staffId,
    requested_role: role,
  };
  let claimed = false;
  await db.transaction().execute(async (trx) => {
    claimed = await insertCardOperation(trx, {
      ...row,
      ...(localRefusal
        ? {
            status: "refused" as const,
            refusal_code: localRefusal,
            refusal_message: `${LOCAL_REFUSALS[localRefusal]}${localDetail}`,
            completed_at: new Date(),
          }
        : {}),
    });
    if (!claimed) return;
    await appendAudit(trx, {
      lgCode: resident.lgCode,
      actor: { staffId: actor.staffId, role },
      action: localRefusal ? "card.operation.refused" : "card.operation.requested",
      subjectResidentId: resident.id,
      purpose: "マイナンバーカードの手続",
      detail: {
        operationId: request.id,
        operation: input.operation,
        cardLastFour: reading.card.lastFour,
        ...(localRefusal ? { refusal: localRefusal, by: "backoffice" } : {}),
      },
    });
  });
  const stored = await cardOperationByRequestKey(db, input.requestKey);
  if (!stored) throw new Error("card operation row vanished");
  if (!claimed) {
    // A concurrent request with the same key won; answer as a repeat of it.
    if (!stored.payload_digest.equals(digest)) throw new RequestKeyReusedError(input.requestKey);
    return stored.status === "pending" ? send(deps, stored, input, role) : resultOf(stored, true);
  }
  if (stored.status !== "pending") return resultOf(stored, false);
  return send(deps, stored, input, role);
}

/** Sends (or resends) a pending operation and stores the answer. */
async function send(
  deps: ProcessingDeps,
  row: CardOperationRow,
  input: CardOperationInput,
  role: string,
): Promise<CardOperationResult> {
  const { db } = deps;
  const { actor } = input;
  const request = { ...(row.request as unknown as JlisRequest) };
  let newSerial = row.new_sign_serial;
  type Outcome =
    | { kind: "accepted" }
    | { kind: "refused"; code: string; message: string; by: "jlis" | "jpki" }
    | { kind: "failed"; error: string };
  let outcome: Outcome | undefined;
  try {
    if (row.operation === "signCertReissue" && !newSerial) {
      const resident = await residentForCards(db, row.resident_id);
      const municipality = await loadMunicipality(db, row.lg_code);
      const issued = await deps.terminal.reissueSignCert({
        requestId: row.id,
        cardId: input.cardId,
        newPin: input.newSignPin ?? "",
        address: {
          line: resident?.addressLine ?? "",
          ...(municipality ? { prefecture: municipality.prefecture, city: municipality.name } : {}),
        },
        ...(resident ? { name: { family: resident.familyName, given: resident.givenName } } : {}),
      });
      if (issued.kind === "badPin") throw new RegisterValidationError({ newSignPin: issued.message });
      if (issued.kind === "unknownCard")
        throw new RegisterValidationError({ cardId: "カードを読み取れませんでした" });
      if (issued.kind === "refused") {
        outcome = { kind: "refused", code: issued.reason, message: issued.message, by: "jpki" };
      } else {
        newSerial = issued.serial;
        request.signCertSerial = issued.serial;
      }
    }
    if (!outcome) {
      const answer = await deps.jlis.send(request);
      outcome =
        answer.kind === "accepted"
          ? { kind: "accepted" }
          : { kind: "refused", code: answer.code, message: answer.message, by: "jlis" };
    }
  } catch (err) {
    if (err instanceof JlisUnavailableError || err instanceof CardTerminalUnavailableError)
      outcome = { kind: "failed", error: err.message };
    else throw err;
  }

  const done: Outcome = outcome ?? { kind: "failed", error: "未送信" };
  await db.transaction().execute(async (trx) => {
    const current = await lockCardOperation(trx, row.id);
    if (current?.status !== "pending") return; // a concurrent resend finished it
    await recordAttempt(trx, row.id, {
      status: done.kind === "failed" ? "pending" : done.kind,
      ...(done.kind === "refused" ? { refusalCode: done.code, refusalMessage: done.message } : {}),
      lastError: done.kind === "failed" ? done.error : null,
      ...(newSerial !== row.new_sign_serial ? { newSignSerial: newSerial, request } : {}),
    });
    if (done.kind === "failed") return;
    await appendAudit(trx, {
      lgCode: row.lg_code,
      actor: { staffId: actor.staffId, role },
      action: done.kind === "accepted" ? "card.operation.accepted" : "card.operation.refused",
      subjectResidentId: row.resident_id,
      purpose: "マイナンバーカードの手続",
      detail: {
        operationId: row.id,
        operation: row.operation,
        cardLastFour: row.card_last_four,
        attempt: current.attempts + 1,
        ...(done.kind === "refused" ? { refusal: done.code, by: done.by } : {}),
        ...(newSerial ? { newSignSerial: newSerial } : {}),
      },
    });
  });
  const stored = await cardOperationByRequestKey(db, row.request_key);
  return resultOf(stored!, false);
}

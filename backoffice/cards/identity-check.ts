/**
 * 本人確認 with the card at the counter (issue 6, item 3). The resident holds the card (the
 * clerk picks it: only its id reaches the server) and enters the 4-digit 利用者証明用 PIN on the
 * terminal; the card's 基本4情報 are then checked against the 住基ネット stand-in (four-item
 * look-up, which gives the 住民票コード) and against the people of the reservation. The outcome
 * is recorded (who, when, result, which items differed — item names only) and audited.
 *
 * Nothing here logs; the values of a mismatch are returned to the screen only.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { IdentityCheckOutcome } from "../../db/types/cards.js";
import { normalizeAddress } from "../../mocks/juki-net/matching.js";
import type { IdentityInfo, Lookup } from "../../mocks/juki-net/protocol.js";
import { appendAudit } from "../register/audit.js";
import { type Actor, authorizeOrAudit } from "../register/authorization.js";
import { RegisterValidationError } from "../register/errors.js";
import { normalizeKana, normalizeName } from "../register/names.js";
import type { CardHolderInfo, CardTerminal } from "./card-terminal.js";
import {
  type IdentityCheckRow,
  identityCheckByRequestKey,
  insertIdentityCheck,
  reservationForCheck,
} from "./cards.queries.js";

export type MismatchItem = "name" | "kana" | "birthDate" | "sex" | "address" | "residentCode" | "network";

export const MISMATCH_LABELS: Record<MismatchItem, string> = {
  name: "氏名",
  kana: "氏名（フリガナ）",
  birthDate: "生年月日",
  sex: "性別",
  address: "住所",
  residentCode: "予約の異動者",
  network: "住基ネットの本人確認情報",
};

export interface Mismatch {
  item: MismatchItem;
  label: string;
  /** What differs, in Japanese, for the screen. */
  message: string;
  /** The two values compared (screen only; never stored or logged). Absent on a replay. */
  card?: string;
  other?: string;
}

export interface IdentityCheckResult {
  checkId: string | null;
  outcome: IdentityCheckOutcome;
  /** Index in the reservation's people of the card's holder, when found. */
  personIndex: number | null;
  mismatches: Mismatch[];
  /** The Japanese summary for the screen. */
  message: string;
  triesLeft?: number;
  networkLevel: string | null;
  /** The card's holder as read (screen only; absent on a replay). */
  holder?: CardHolderInfo;
  replayed: boolean;
}

export interface NetworkLookup {
  lookup(asLgCode: string, query: Lookup): Promise<{ level: string | null; matches: IdentityInfo[] }>;
}

export interface IdentityCheckDeps {
  db: Kysely<BackofficeDatabase>;
  terminal: CardTerminal;
  network: NetworkLookup;
}

export interface IdentityCheckInput {
  actor: Actor;
  reservationId: string;
  cardId: string;
  pin: string;
  requestKey: string;
}

export class CardWorkNotFoundError extends Error {
  override name = "CardWorkNotFoundError";
}

/** The 住基ネット stand-in did not answer: nothing was recorded; the clerk tries again. */
export class NetworkUnavailableError extends Error {
  override name = "NetworkUnavailableError";
  constructor() {
    super("住基ネットに接続できませんでした。しばらくしてからもう一度本人確認をしてください");
  }
}

interface ReservationPerson {
  residentCode: string;
  name: { family: string; given: string; familyKana: string; givenKana: string };
  birthDate: string;
  sex: "male" | "female";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEX_LABEL = { male: "男", female: "女" } as const;

const fullName = (n: ReservationPerson["name"]) => `${n.family} ${n.given}`;
const fullKana = (n: ReservationPerson["name"]) => `${n.familyKana} ${n.givenKana}`;

function compare(holder: CardHolderInfo, person: ReservationPerson, source: string): Mismatch[] {
  const out: Mismatch[] = [];
  if (
    normalizeName(holder.name.family + holder.name.given) !==
    normalizeName(person.name.family + person.name.given)
  )
    out.push({
      item: "name",
      label: MISMATCH_LABELS.name,
      message: `カードの氏名が${source}と一致しません`,
      card: fullName(holder.name),
      other: fullName(person.name),
    });
  if (
    normalizeKana(holder.name.familyKana + holder.name.givenKana) !==
    normalizeKana(person.name.familyKana + person.name.givenKana)
  )
    out.push({
      item: "kana",
      label: MISMATCH_LABELS.kana,
      message: `カードのフリガナが${source}と一致しません`,
      card: fullKana(holder.name),
      other: fullKana(person.name),
    });
  if (holder.birthDate !== person.birthDate)
    out.push({
      item: "birthDate",
      label: MISMATCH_LABELS.birthDate,
      message: `カードの生年月日が${source}と一致しません`,
      card: holder.birthDate,
      other: person.birthDate,
    });
  if (holder.sex !== person.sex)
    out.push({
      item: "sex",
      label: MISMATCH_LABELS.sex,
      message: `カードの性別が${source}と一致しません`,
      card: SEX_LABEL[holder.sex],
      other: SEX_LABEL[person.sex],
    });
  return out;
}

/** The reservation person closest to the card (most items equal), for saying what differs. */
function closest(
  holder: CardHolderInfo,
  people: ReservationPerson[],
): { index: number; diff: Mismatch[] } | null {
  let best: { index: number; diff: Mismatch[] } | null = null;
  people.forEach((p, index) => {
    const diff = compare(holder, p, "予約の異動者");
    if (!best || diff.length < best.diff.length) best = { index, diff };
  });
  return best;
}

function readPeople(value: unknown): ReservationPerson[] {
  return Array.isArray(value) ? (value as ReservationPerson[]) : [];
}

function originAddress(certificate: unknown): string | null {
  const line = (certificate as { origin?: { address?: { line?: unknown } } } | null)?.origin?.address?.line;
  return typeof line === "string" ? line : null;
}

function fromRow(row: IdentityCheckRow): IdentityCheckResult {
  const items = (Array.isArray(row.mismatches) ? row.mismatches : []) as MismatchItem[];
  return {
    checkId: row.id,
    outcome: row.outcome,
    personIndex: row.person_index,
    mismatches: items.map((item) => ({
      item,
      label: MISMATCH_LABELS[item] ?? item,
      message: `${MISMATCH_LABELS[item] ?? item}が一致しません`,
    })),
    message: summary(row.outcome, items.length),
    networkLevel: row.network_level,
    replayed: true,
  };
}

function summary(outcome: IdentityCheckOutcome, mismatches: number): string {
  switch (outcome) {
    case "matched":
      return "本人確認ができました。カードの基本4情報は住基ネットの本人確認情報および予約の異動者と一致しています。";
    case "mismatch":
      return `本人確認ができません。一致しない項目が${mismatches}件あります。`;
    case "pinMismatch":
      return "暗証番号が違います。";
    case "locked":
      return "暗証番号が連続して誤って入力されたため、利用者証明用電子証明書がロックされました。暗証番号の初期化が必要です。";
    case "refused":
      return "このカードでは本人確認ができません。";
    case "unknownCard":
      return "カードを読み取れませんでした。もう一度カードを選んでください。";
  }
}

export async function checkIdentityWithCard(
  deps: IdentityCheckDeps,
  input: IdentityCheckInput,
): Promise<IdentityCheckResult> {
  const { db } = deps;
  const { actor } = input;
  if (!UUID.test(input.reservationId)) throw new CardWorkNotFoundError("予約が見つかりません");
  const reservation = await reservationForCheck(db, input.reservationId);
  if (!reservation) throw new CardWorkNotFoundError("予約が見つかりません");
  const role = await authorizeOrAudit(db, actor, "cardIdentityCheck", reservation.lgCode);
  if (!/^[\w-]{8,100}$/.test(input.requestKey))
    throw new RegisterValidationError({ requestKey: "画面を読み込み直してからやり直してください" });

  const earlier = await identityCheckByRequestKey(db, input.requestKey);
  if (earlier) {
    if (earlier.reservation_id !== reservation.id)
      throw new RegisterValidationError({ requestKey: "画面を読み込み直してからやり直してください" });
    return fromRow(earlier);
  }
  if (reservation.status !== "waiting")
    throw new RegisterValidationError({
      reservation: "この予約は来庁待ちではないため、本人確認はできません",
    });
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.cardId))
    throw new RegisterValidationError({ cardId: "カードを選んでください" });
  if (!/^\d{4}$/.test(input.pin))
    throw new RegisterValidationError({ pin: "暗証番号は数字4桁で入力してください" });

  const read = await deps.terminal.verify(input.cardId, input.pin);
  if (read.kind === "badPin") throw new RegisterValidationError({ pin: read.message });

  let outcome: IdentityCheckOutcome;
  let mismatches: Mismatch[] = [];
  let personIndex: number | null = null;
  let networkLevel: string | null = null;
  let refusalReason: string | null = null;
  let lastFour: string | null = null;
  let message: string;
  let triesLeft: number | undefined;
  let holder: CardHolderInfo | undefined;

  if (read.kind === "unknownCard") {
    outcome = "unknownCard";
    message = summary(outcome, 0);
  } else if (read.kind === "pinMismatch") {
    outcome = "pinMismatch";
    triesLeft = read.triesLeft;
    message = read.message;
  } else if (read.kind === "refused") {
    outcome = read.reason === "cert_locked" ? "locked" : "refused";
    refusalReason = read.reason;
    message = read.message;
  } else {
    holder = read.holder;
    lastFour = read.card.lastFour;
    const people = readPeople(reservation.people);
    let network: { level: string | null; matches: IdentityInfo[] };
    try {
      network = await deps.network.lookup(reservation.lgCode, {
        by: "fourItems",
        name: `${holder.name.family} ${holder.name.given}`,
        kana: `${holder.name.familyKana} ${holder.name.givenKana}`,
        birthDate: holder.birthDate,
        sex: holder.sex,
        address: holder.address,
      });
    } catch {
      throw new NetworkUnavailableError();
    }
    networkLevel = network.level;
    if (network.matches.length === 1) {
      const found = network.matches[0]!;
      const index = people.findIndex((p) => p.residentCode === found.residentCode);
      if (index >= 0) {
        personIndex = index;
        mismatches = compare(holder, people[index]!, "予約の異動者");
      } else {
        const near = closest(holder, people);
        mismatches = [
          {
            item: "residentCode",
            label: MISMATCH_LABELS.residentCode,
            message: "カードの本人（住基ネットの住民票コード）は、この予約の異動者に含まれていません",
          },
          ...(near?.diff ?? []),
        ];
      }
    } else {
      const near = closest(holder, people);
      if (near && near.diff.length === 0) personIndex = near.index;
      mismatches = [
        {
          item: "network",
          label: MISMATCH_LABELS.network,
          message:
            network.matches.length === 0
              ? "カードの基本4情報（氏名・生年月日・性別・住所）と一致する現在の本人確認情報が住基ネットにありません"
              : "カードの基本4情報に一致する本人確認情報が住基ネットに複数あり、本人を特定できません",
        },
        ...(near?.diff ?? []),
      ];
    }
    // The card still shows the address moved out from: it must be the certificate's origin address.
    const origin = originAddress(reservation.certificate);
    if (origin && normalizeAddress(origin) !== normalizeAddress(holder.address))
      mismatches.push({
        item: "address",
        label: MISMATCH_LABELS.address,
        message: "カードの住所が転出証明書情報の住所（転出元）と一致しません",
        card: holder.address,
        other: origin,
      });
    outcome = mismatches.length === 0 ? "matched" : "mismatch";
    message = summary(outcome, mismatches.length);
  }

  const id = randomUUID();
  const items = mismatches.map((m) => m.item);
  let inserted = false;
  await db.transaction().execute(async (trx) => {
    inserted = await insertIdentityCheck(trx, {
      id,
      request_key: input.requestKey,
      lg_code: reservation.lgCode,
      reservation_id: reservation.id,
      card_last_four: lastFour,
      outcome,
      person_index: personIndex,
      mismatches: JSON.stringify(items),
      refusal_reason: refusalReason,
      network_level: networkLevel,
      checked_by: actor.staffId,
      checked_role: role,
    });
    if (!inserted) return;
    await appendAudit(trx, {
      lgCode: reservation.lgCode,
      actor: { staffId: actor.staffId, role },
      action: "card.identityCheck",
      purpose: "特例転入の本人確認",
      detail: {
        checkId: id,
        reservationId: reservation.id,
        outcome,
        mismatches: items,
        ...(personIndex !== null ? { personIndex } : {}),
        ...(refusalReason ? { refusalReason } : {}),
      },
    });
  });
  if (!inserted) {
    const other = await identityCheckByRequestKey(db, input.requestKey);
    if (other) return fromRow(other);
  }
  return {
    checkId: id,
    outcome,
    personIndex,
    mismatches,
    message,
    ...(triesLeft !== undefined ? { triesLeft } : {}),
    networkLevel,
    ...(holder ? { holder } : {}),
    replayed: false,
  };
}

/**
 * Completion at the counter (issue 5, item 5): the commands the back-office UI calls when the
 * resident of a reservation comes to the counter.
 *
 * - `completeSpecialMoveIn`: a 転入予約 (from a 転出証明書情報) becomes a 特例転入 — the people are
 *   registered here (register command specialMoveIn, which also queues the identity information
 *   and the address-system events), the 転入通知 goes to the origin and a 附票通知 to each 本籍地
 *   (stored as outbound messages, sent by the worker), the reservation is completed and the portal
 *   told 完了 — all in one transaction, idempotent under `requestKey`.
 * - `completeRelocation`: a 転居予約 becomes a 転居 (register command relocation), the same way.
 *
 * The same `requestKey` returns the first result (`replayed: true`) and writes nothing; another
 * key on a completed reservation is refused. Refusals are RegisterValidationError with Japanese
 * messages by field, as the register's own.
 */
import { randomUUID } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import {
  type Address,
  type Envelope,
  type MessageBody,
  type MoveOutCertificate,
  newEnvelope,
} from "../../mocks/juki-net/protocol.js";
import {
  type CommandContext,
  type CommandResult,
  type IncomingPerson,
  type RelocationHousehold,
  relocation,
  specialMoveIn,
} from "../register/commands/index.js";
import { fieldError } from "../register/errors.js";
import { HEAD } from "../register/record.js";
import { getResident, loadMunicipality } from "../register/records.queries.js";
import { addDays, type IsoDate } from "../register/time-rules.js";
import type { AddressInput } from "../register/validation.js";
import { honsekiMunicipality } from "./honseki.js";
import { tellPortal } from "./intake.js";
import { insertAnnexEntries } from "./move-cases.queries.js";
import { writeOutboundMessage } from "./outbound.js";
import { closeReservation, type LockedReservation, lockReservation } from "./reservations.queries.js";

type Trx = Transaction<BackofficeDatabase>;

export interface CompletionPersonInput {
  /** The person on the 転出証明書情報, by 住民票コード. */
  residentCode: string;
  /** false: this person does not move in now (default true). */
  include?: boolean;
  /** 続柄 in the new household (default: as certified; 世帯主 when `householdHead`). */
  relationship?: string;
  householdHead?: boolean;
}

export interface CompleteSpecialMoveInInput {
  requestKey: string;
  lgCode: string;
  reservationId: string;
  /** The address at the destination, as staff confirm it (default: the certified 転出先). */
  address?: AddressInput;
  people?: CompletionPersonInput[];
  /** Join an existing household here (its address) instead of forming a new one. */
  householdId?: string;
  /** 転入した年月日 (default: the planned move-out date, or today when that is still ahead). */
  movedInOn?: IsoDate;
  /** 届出日 (default: today). */
  notifiedOn?: IsoDate;
}

export interface CompleteRelocationInput {
  requestKey: string;
  lgCode: string;
  reservationId: string;
  /** The new address (default: as filed online). */
  address?: AddressInput;
  /**
   * Default: the whole household moves and stays one (`same`); when only part of a household
   * moves, staff must say whether it forms a new household or joins one.
   */
  household?: RelocationHousehold;
  /** 転居した年月日 (default: the planned date, or today when that is still ahead). */
  movedOn?: IsoDate;
  notifiedOn?: IsoDate;
}

export interface CompletionResult {
  reservationId: string;
  applicationId: string | null;
  /** The register command's result (its changes, records, households, `late` = 届出期間経過). */
  command: CommandResult;
  /** The records registered or changed here. */
  residentIds: string[];
  /** Outbound 住基ネット messages written (follow them with outgoingMessages). */
  messageIds: string[];
  /** Filed after its period (届出期間経過), as the register flags it. */
  late: boolean;
  replayed: boolean;
}

function inTransaction<T>(db: Kysely<BackofficeDatabase>, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Trx) : db.transaction().execute(fn);
}

/** Locks the reservation and returns it when it can be completed (or the earlier result to replay). */
async function openReservation(
  trx: Trx,
  input: { lgCode: string; reservationId: string; requestKey: string },
  kind: "moveOut" | "relocation",
): Promise<{ reservation: LockedReservation; replay?: CompletionResult }> {
  const reservation = await lockReservation(trx, input.lgCode, input.reservationId);
  if (!reservation) fieldError("reservationId", "指定された予約がありません");
  if (reservation.kind !== kind) {
    fieldError(
      "reservationId",
      kind === "moveOut" ? "この予約は転居予約です（転居として完了してください）" : "この予約は転入予約です",
    );
  }
  if (reservation.status === "completed") {
    if (reservation.completionRequestKey === input.requestKey) {
      return { reservation, replay: { ...(reservation.completion as CompletionResult), replayed: true } };
    }
    fieldError("reservationId", "この予約はすでに完了しています");
  }
  if (reservation.status === "cancelled") {
    fieldError("reservationId", "この予約は住民の方が取り消しています");
  }
  if (reservation.status === "expired") {
    fieldError(
      "reservationId",
      kind === "moveOut"
        ? "この予約は期限切れです（特例転入の期限を過ぎています。転出証明書（紙）による転入届としてください）"
        : "この予約は期限切れです（転居届として受け付けてください）",
    );
  }
  return { reservation };
}

function defaultMoveDate(planned: IsoDate, today: IsoDate): IsoDate {
  return planned <= today ? planned : today;
}

function certifiedAddressInput(a: Address): AddressInput {
  return {
    town: a.town ?? "",
    chome: a.chome ?? 0,
    block: a.block ?? 0,
    lot: a.lot ?? null,
    building: a.building ?? null,
  };
}

/** The address of a record, as the messages carry it. */
async function recordAddress(trx: Trx, residentId: string): Promise<Address> {
  const row = await getResident(trx, residentId);
  if (!row) throw new Error("the record just written is missing");
  const m = await loadMunicipality(trx, row.lg_code);
  return {
    lgCode: row.lg_code,
    line: row.address_line,
    ...(m ? { prefecture: m.prefecture, city: m.name } : {}),
    town: row.town,
    ...(row.chome > 0 ? { chome: row.chome } : {}),
    block: row.block,
    ...(row.lot !== null ? { lot: row.lot } : {}),
    ...(row.building ? { building: row.building } : {}),
  };
}

type AnnexEntry = MessageBody<"annexNotice">["persons"][number];
type AnnexPerson = Pick<AnnexEntry, "residentCode" | "name" | "birthDate" | "sex"> & {
  honseki: AnnexEntry["honseki"] | null;
};

/**
 * 附票通知 (住基法第19条第1項): the new address of each person goes to the municipality of their
 * 本籍, one message per municipality; when that is this municipality, the 附票 entries are written
 * here in the same transaction. Returns the ids of the messages written.
 */
async function annexNotices(
  trx: Trx,
  opts: {
    lgCode: string;
    people: AnnexPerson[];
    address: Address;
    addressSetOn: IsoDate;
    reason: "moveIn" | "relocation";
    applicationId: string | undefined;
    write: (envelope: Envelope) => Promise<string>;
    now: Date;
  },
): Promise<string[]> {
  const byHonseki = new Map<string, typeof opts.people>();
  for (const p of opts.people) {
    const where = p.honseki ? honsekiMunicipality(p.honseki.address) : undefined;
    if (where) byHonseki.set(where, [...(byHonseki.get(where) ?? []), p]);
  }
  const ids: string[] = [];
  for (const [to, people] of byHonseki) {
    const body: MessageBody<"annexNotice"> = {
      persons: people.map(({ honseki, ...core }) => ({
        ...core,
        honseki: honseki!,
        address: opts.address,
        addressSetOn: opts.addressSetOn,
        reason: opts.reason,
      })),
    };
    if (to === opts.lgCode) {
      await insertAnnexEntries(
        trx,
        body.persons.map((p, position) => ({
          messageId: randomUUID(),
          position,
          lgCode: to,
          fromLgCode: to,
          residentCode: p.residentCode,
          person: p,
          addressSetOn: p.addressSetOn,
          reason: p.reason,
        })),
      );
      continue;
    }
    ids.push(
      await opts.write(
        newEnvelope(
          {
            kind: "annexNotice",
            from: opts.lgCode,
            to,
            ...(opts.applicationId ? { applicationId: opts.applicationId } : {}),
            body,
          },
          opts.now,
        ),
      ),
    );
  }
  return ids;
}

/** 特例転入 of a 転入予約. */
export async function completeSpecialMoveIn(
  ctx: CommandContext,
  input: CompleteSpecialMoveInInput,
): Promise<CompletionResult> {
  return inTransaction(ctx.db, async (trx) => {
    const { reservation, replay } = await openReservation(trx, input, "moveOut");
    if (replay) return replay;
    const cert = reservation.certificate as MoveOutCertificate;
    const overrides = new Map((input.people ?? []).map((p) => [p.residentCode, p]));
    for (const [i, p] of (input.people ?? []).entries()) {
      if (!cert.persons.some((c) => c.residentCode === p.residentCode)) {
        fieldError(`people.${i}.residentCode`, "転出証明書情報にない方です");
      }
    }
    const moving = cert.persons.filter((p) => overrides.get(p.residentCode)?.include !== false);
    if (moving.length === 0) fieldError("people", "転入する方を 1 人以上選んでください");
    const persons: IncomingPerson[] = moving.map((p) => {
      const o = overrides.get(p.residentCode);
      const relationship = o?.householdHead
        ? HEAD
        : (o?.relationship ?? (p.householdHead && !input.householdId ? HEAD : p.relationship));
      return {
        residentCode: p.residentCode,
        myNumber: p.myNumber,
        name: p.name,
        birthDate: p.birthDate,
        sex: p.sex,
        nationality: p.nationality,
        honseki: p.honseki ?? null,
        // The certificate may leave out 外国人住民となった年月日: the person was a resident since then.
        foreigner: (p.foreigner
          ? { ...p.foreigner, becameResidentOn: p.foreigner.becameResidentOn ?? p.residentSince }
          : null) as IncomingPerson["foreigner"],
        relationship,
      };
    });
    const movedInOn = input.movedInOn ?? defaultMoveDate(cert.plannedMoveOutDate, ctx.today);
    const notifiedOn = input.notifiedOn ?? ctx.today;
    const address = input.householdId
      ? input.address
      : (input.address ?? certifiedAddressInput(cert.destination.address));
    const command = await specialMoveIn(
      { ...ctx, db: trx },
      {
        requestKey: input.requestKey,
        lgCode: input.lgCode,
        movedInOn,
        notifiedOn,
        certificate: {
          fromLgCode: reservation.originLgCode,
          fromAddress: cert.origin.address.line,
          plannedMoveOutDate: cert.plannedMoveOutDate,
        },
        persons,
        household: input.householdId ? { kind: "join", householdId: input.householdId } : { kind: "new" },
        ...(address ? { address } : {}),
      },
    );
    const residentIds = [...new Set(command.residentIds)];
    const here = await recordAddress(trx, residentIds[0]!);
    const now = new Date();
    const applicationId = reservation.applicationId ?? undefined;
    const write = (envelope: Envelope) =>
      writeOutboundMessage(trx, envelope, undefined, { reservationId: reservation.id });
    const core = (p: (typeof moving)[number]) => ({
      residentCode: p.residentCode,
      name: p.name,
      birthDate: p.birthDate,
      sex: p.sex,
    });

    // 転入通知 (住基法第9条第1項) to the origin.
    const messageIds = [
      await write(
        newEnvelope(
          {
            kind: "moveInNotice",
            from: input.lgCode,
            to: reservation.originLgCode,
            ...(applicationId ? { applicationId } : {}),
            body: {
              ...(applicationId ? { applicationId } : {}),
              certificateId: cert.certificateId,
              movedInOn,
              notifiedOn,
              destination: { lgCode: input.lgCode, address: here },
              persons: moving.map(core),
            },
          },
          now,
        ),
      ),
    ];

    // 附票通知 (住基法第19条第1項) to each 本籍地; our own 本籍 residents' 附票 is written here.
    messageIds.push(
      ...(await annexNotices(trx, {
        lgCode: input.lgCode,
        people: moving.map((p) => ({ ...core(p), honseki: p.honseki ?? null })),
        address: here,
        addressSetOn: movedInOn,
        reason: "moveIn",
        applicationId,
        write,
        now,
      })),
    );

    const result: CompletionResult = {
      reservationId: reservation.id,
      applicationId: reservation.applicationId,
      command,
      residentIds,
      messageIds,
      late: command.late,
      replayed: false,
    };
    await closeReservation(trx, reservation.id, "completed", now, {
      requestKey: input.requestKey,
      result,
    });
    // The destination tells the portal 完了: it is the one that completed (decision 009).
    if (reservation.applicationId)
      await tellPortal(trx, input.lgCode, reservation.applicationId, "completed");
    return result;
  });
}

/** What a 転居予約 holds (register.reservation.certificate of kind relocation). */
export interface RelocationFiling {
  kind: "relocation";
  applicationId: string;
  residentIds: string[];
  householdId: string;
  address: AddressInput;
  plannedMoveDate: IsoDate;
  plannedVisitDate: IsoDate | null;
  filedOn: IsoDate;
}

/** 転居 of a 転居予約. */
export async function completeRelocation(
  ctx: CommandContext,
  input: CompleteRelocationInput,
): Promise<CompletionResult> {
  return inTransaction(ctx.db, async (trx) => {
    const { reservation, replay } = await openReservation(trx, input, "relocation");
    if (replay) return replay;
    const filing = reservation.certificate as RelocationFiling;
    let household = input.household;
    if (!household) {
      const living = await trx
        .selectFrom("register.resident")
        .select("id")
        .where("household_id", "=", filing.householdId)
        .where("status", "in", ["active", "moveOutScheduled"])
        .execute();
      if (living.some((r) => !filing.residentIds.includes(r.id))) {
        fieldError(
          "household",
          "世帯の一部の方の転居です。新しい世帯とするか、既存の世帯に加わるかを指定してください",
        );
      }
      household = { kind: "same" };
    }
    const movedOn = input.movedOn ?? defaultMoveDate(filing.plannedMoveDate, ctx.today);
    const address = input.address ?? (household.kind === "join" ? undefined : filing.address);
    const command = await relocation(
      { ...ctx, db: trx },
      {
        requestKey: input.requestKey,
        lgCode: input.lgCode,
        residentIds: filing.residentIds,
        movedOn,
        notifiedOn: input.notifiedOn ?? ctx.today,
        household,
        ...(address ? { address } : {}),
      },
    );
    const now = new Date();
    const residentIds = [...new Set(command.residentIds)];
    // The 附票 records the address too: a 転居 is notified to each 本籍地 like a 転入.
    const moved = await trx
      .selectFrom("register.resident")
      .select([
        "id",
        "resident_code",
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "birth_date",
        "sex",
        "honseki",
        "honseki_head",
      ])
      .where("id", "in", filing.residentIds)
      .execute();
    const order = new Map(filing.residentIds.map((id, i) => [id, i]));
    moved.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const messageIds = await annexNotices(trx, {
      lgCode: input.lgCode,
      people: moved.map((r) => ({
        residentCode: r.resident_code,
        name: {
          family: r.family_name,
          given: r.given_name,
          familyKana: r.family_kana,
          givenKana: r.given_kana,
        },
        birthDate: r.birth_date,
        sex: r.sex,
        honseki: r.honseki && r.honseki_head ? { address: r.honseki, headOfFamily: r.honseki_head } : null,
      })),
      address: await recordAddress(trx, filing.residentIds[0]!),
      addressSetOn: movedOn,
      reason: "relocation",
      applicationId: reservation.applicationId ?? undefined,
      write: (envelope) => writeOutboundMessage(trx, envelope, undefined, { reservationId: reservation.id }),
      now,
    });
    const result: CompletionResult = {
      reservationId: reservation.id,
      applicationId: reservation.applicationId,
      command,
      residentIds,
      messageIds,
      late: command.late,
      replayed: false,
    };
    await closeReservation(trx, reservation.id, "completed", now, { requestKey: input.requestKey, result });
    if (reservation.applicationId)
      await tellPortal(trx, input.lgCode, reservation.applicationId, "completed");
    return result;
  });
}

/**
 * The last day a waiting reservation can be completed at the counter; the expiry sweep turns it
 * into 期限切れ the day after (decision 009):
 * - 転入予約: 30 days after the planned move-out date — the 特例転入 must be done within 14 days of
 *   moving in AND 30 days of the planned move-out date; the move-in date is only known at the
 *   counter, so the 30 days are the one bound that holds whatever it is (the counter's command
 *   checks the 14 days with the date the resident gives).
 * - 転居予約: 14 days after the planned move date (the 転居届's period); later the counter takes a
 *   転居届 on paper, flagged late.
 */
export function reservationDeadline(kind: "moveOut" | "relocation", plannedDate: IsoDate): IsoDate {
  return addDays(plannedDate, kind === "moveOut" ? 30 : 14);
}

/**
 * Pieces shared by the change commands: new records, placing newcomers in a household, and the
 * household rules (every household has exactly one head among its living members).
 */
import { randomUUID } from "node:crypto";
import { FieldErrors, fieldError } from "../errors.js";
import {
  type AddressItems,
  addressOf,
  formatAddressLine,
  HEAD,
  type ResidentState,
  sameAddress,
} from "../record.js";
import type { IsoDate } from "../time-rules.js";
import {
  type AddressInput,
  checkAddress,
  checkMyNumber,
  checkPersonItems,
  checkRelationship,
  checkRelationships,
  checkResidentCode,
  checkUuid,
  isObject,
  type Municipality,
  type PersonItemsInput,
} from "../validation.js";
import type { ChangeMeta, ChangeWriter } from "./runner.js";

/** A person entering the register (転入, 特例転入, 国外からの転入, 職権記載). */
export interface IncomingPerson extends PersonItemsInput {
  /** Required when the person already has one (転入, 特例転入); issued otherwise. */
  residentCode?: string | null;
  /** Required for 転入 and 特例転入; may be absent for a first entry (assigned later by J-LIS). */
  myNumber?: string | null;
  /** 続柄: exactly one 世帯主 when the newcomers form a new household. */
  relationship: string;
}

/** Where newcomers live: a new household (at `address`) or an existing one (at its address). */
export type HouseholdTarget = { kind: "new" } | { kind: "join"; householdId: string };

export function checkHouseholdTarget(value: unknown, path: string, errors: FieldErrors): void {
  if (!isObject(value) || (value.kind !== "new" && value.kind !== "join")) {
    errors.add(path, "新しい世帯か、既存の世帯への加入かを指定してください");
    return;
  }
  if (value.kind === "join") checkUuid(value.householdId, `${path}.householdId`, errors, "世帯");
}

export function checkIncomingPersons(
  value: unknown,
  path: string,
  errors: FieldErrors,
  today: IsoDate,
  opts: { codesRequired: boolean; household: unknown },
): void {
  if (!Array.isArray(value) || value.length === 0) {
    errors.add(path, "異動する方を 1 人以上入力してください");
    return;
  }
  if (value.length > 20) {
    errors.add(path, "一度に異動できるのは 20 人までです");
    return;
  }
  const codes = new Map<string, number>();
  const numbers = new Map<string, number>();
  let heads = 0;
  value.forEach((p: unknown, i) => {
    const at = `${path}.${i}`;
    checkPersonItems(p, at, errors, today);
    if (!isObject(p)) return;
    if (opts.codesRequired || (p.residentCode !== undefined && p.residentCode !== null)) {
      if (checkResidentCode(p.residentCode, `${at}.residentCode`, errors)) {
        if (codes.has(p.residentCode))
          errors.add(`${at}.residentCode`, "同じ住民票コードが二度入力されています");
        codes.set(p.residentCode, i);
      }
    }
    if (opts.codesRequired || (p.myNumber !== undefined && p.myNumber !== null)) {
      if (checkMyNumber(p.myNumber, `${at}.myNumber`, errors)) {
        if (numbers.has(p.myNumber)) errors.add(`${at}.myNumber`, "同じ個人番号が二度入力されています");
        numbers.set(p.myNumber, i);
      }
    }
    checkRelationship(p.relationship, `${at}.relationship`, errors, { head: true });
    if (p.relationship === HEAD) heads++;
  });
  const household = opts.household;
  if (isObject(household) && household.kind === "new" && heads !== 1) {
    errors.add(`${path}`, "新しい世帯には世帯主を一人（続柄「世帯主」）指定してください");
  }
  if (isObject(household) && household.kind === "join" && heads > 0) {
    errors.add(
      `${path}`,
      "既存の世帯に加わる方を世帯主にはできません（世帯主の変更は世帯変更で行ってください）",
    );
  }
}

export function addressItems(
  municipality: Municipality,
  a: AddressInput,
): AddressItems & { addressLine: string } {
  const items: AddressItems = {
    town: a.town,
    chome: a.chome,
    block: a.block,
    lot: a.lot ?? null,
    building: a.building?.trim() ? a.building.trim() : null,
  };
  return { ...items, addressLine: formatAddressLine(municipality, items) };
}

/** Validates an address against the municipality's towns (needs the municipality: inside execute). */
export function requireAddress(
  w: ChangeWriter,
  value: unknown,
  path: string,
): AddressItems & { addressLine: string } {
  const errors = new FieldErrors();
  checkAddress(value, path, errors, w.municipality);
  errors.throwIfAny();
  return addressItems(w.municipality, value as AddressInput);
}

/**
 * Resolves where newcomers go. A new household is created at `address`; joining a household
 * takes its address (an address given as well must be the same).
 */
export async function placeNewcomers(
  w: ChangeWriter,
  target: HouseholdTarget,
  address: unknown,
  path: { household: string; address: string },
): Promise<{ householdId: string; address: AddressItems & { addressLine: string } }> {
  if (target.kind === "new") {
    const items = requireAddress(w, address, path.address);
    return { householdId: await w.newHousehold(), address: items };
  }
  const { living } = await w.lockHousehold(target.householdId, `${path.household}.householdId`);
  const head = living.find((m) => m.state.relationship === HEAD);
  if (!head) fieldError(`${path.household}.householdId`, "この世帯には現在住んでいる方（世帯主）がいません");
  const here = addressOf(head.state);
  if (address !== undefined && address !== null) {
    const given = requireAddress(w, address, path.address);
    if (!sameAddress(given, here)) fieldError(path.address, "加入する世帯の住所と異なります");
  }
  return { householdId: target.householdId, address: { ...here, addressLine: head.state.addressLine } };
}

export interface NewRecordDates {
  residentSince: IsoDate;
  addressSince: IsoDate;
  addressNotifiedOn: IsoDate | null;
  previousAddress: string | null;
}

/** The record of a person entering the register (status is set by the writer from the lifecycle). */
export function newRecord(
  w: ChangeWriter,
  p: IncomingPerson,
  place: { householdId: string; address: AddressItems & { addressLine: string } },
  residentCode: string,
  dates: NewRecordDates,
): ResidentState {
  const sealed = p.myNumber ? w.sealMyNumber(p.myNumber) : { myNumberCipher: null, myNumberIndex: null };
  return {
    lgCode: w.lgCode,
    householdId: place.householdId,
    relationship: p.relationship,
    residentCode,
    ...sealed,
    familyName: p.name.family.trim(),
    givenName: p.name.given.trim(),
    familyKana: p.name.familyKana.trim(),
    givenKana: p.name.givenKana.trim(),
    birthDate: p.birthDate,
    sex: p.sex,
    nationality: p.nationality,
    honseki: p.nationality === "JP" ? (p.honseki?.address ?? null) : null,
    honsekiHead: p.nationality === "JP" ? (p.honseki?.headOfFamily ?? null) : null,
    foreigner: p.nationality === "JP" ? null : (p.foreigner ?? null),
    residentSince: dates.residentSince,
    addressSince: dates.addressSince,
    addressNotifiedOn: dates.addressNotifiedOn,
    previousAddress: dates.previousAddress,
    ...place.address,
    qualifications: p.qualifications ?? {},
    moveOut: null,
    status: "none",
    removalReason: null,
    removedOn: null,
    retainUntil: null,
  };
}

/** Creates the records of newcomers; returns their ids. */
export async function enterPersons(
  w: ChangeWriter,
  persons: IncomingPerson[],
  place: { householdId: string; address: AddressItems & { addressLine: string } },
  dates: (p: IncomingPerson) => NewRecordDates,
  meta: ChangeMeta,
  path: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, p] of persons.entries()) {
    const code = p.residentCode ?? (await w.issueResidentCode());
    const state = newRecord(w, p, place, code, dates(p));
    await w.assertNotRegistered(state, `${path}.${i}`);
    const id = randomUUID();
    await w.create(id, state, meta);
    ids.push(id);
  }
  return ids;
}

/**
 * Members leaving a household (転出, 国外転出, 転居 to another household): the head may leave only
 * with everyone, so that the members who stay keep their head.
 */
export function assertHeadNotLeftBehind(
  living: { row: { id: string }; state: ResidentState }[],
  leaving: ReadonlySet<string>,
  path: string,
): void {
  const head = living.find((m) => m.state.relationship === HEAD);
  if (head && leaving.has(head.row.id) && living.some((m) => !leaving.has(m.row.id))) {
    fieldError(
      path,
      "世帯主が世帯員を残して異動することはできません。先に世帯変更（世帯主の変更、または世帯分離）を行ってください",
    );
  }
}

export interface NewHeadInput {
  residentId: string;
  /** 新しい世帯主との続柄, for the other members who stay. */
  relationships?: Record<string, string>;
}

export function checkNewHead(value: unknown, path: string, errors: FieldErrors): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    errors.add(path, "新しい世帯主の指定が正しくありません");
    return;
  }
  checkUuid(value.residentId, `${path}.residentId`, errors, "新しい世帯主");
  if (value.relationships !== undefined)
    checkRelationships(value.relationships, `${path}.relationships`, errors, []);
}

/**
 * After members leave the register at once (死亡, 職権消除), the members who stay need a head if
 * the head was among those who left: the one given, or the only one who stays. Writes the
 * householdChange rows (世帯主の変更) in the same command.
 */
export async function succeedHead(
  w: ChangeWriter,
  householdId: string,
  leaving: ReadonlySet<string>,
  newHead: NewHeadInput | undefined | null,
  meta: Omit<ChangeMeta, "kind">,
  path: string,
): Promise<void> {
  const { members, living: stillLiving } = await w.lockHousehold(householdId, path);
  // Those leaving may already carry their new status (written first, so the lifecycle refuses early).
  const living = members.filter((m) => stillLiving.includes(m) || leaving.has(m.row.id));
  const head = living.find((m) => m.state.relationship === HEAD);
  const staying = living.filter((m) => !leaving.has(m.row.id));
  if (!head || !leaving.has(head.row.id) || staying.length === 0) {
    if (newHead) fieldError(path, "世帯主は異動しないため、新しい世帯主の指定は不要です");
    return;
  }
  let chosen = newHead;
  if (!chosen) {
    if (staying.length !== 1)
      fieldError(path, "世帯主が世帯を離れるため、残る世帯員から新しい世帯主を指定してください");
    chosen = { residentId: staying[0]!.row.id };
  }
  const successor = staying.find((m) => m.row.id === chosen.residentId);
  if (!successor) fieldError(`${path}.residentId`, "新しい世帯主は、この世帯に残る方から選んでください");
  const others = staying.filter((m) => m !== successor);
  const errors = new FieldErrors();
  const relationships = checkRelationships(
    chosen.relationships ?? {},
    `${path}.relationships`,
    errors,
    others.length > 0 && chosen.relationships !== undefined ? others.map((m) => m.row.id) : [],
  );
  for (const id of Object.keys(relationships)) {
    if (!others.some((m) => m.row.id === id))
      errors.add(`${path}.relationships.${id}`, "この世帯に残る方ではありません");
  }
  errors.throwIfAny();
  const changeMeta: ChangeMeta = { ...meta, kind: "householdChange" };
  await w.change(successor.row.id, { ...successor.state, relationship: HEAD }, changeMeta);
  for (const m of others) {
    const rel = relationships[m.row.id];
    if (rel !== undefined && rel !== m.state.relationship) {
      await w.change(m.row.id, { ...w.current(m.row.id).state, relationship: rel }, changeMeta);
    }
  }
}

/** Residents of this command, all in one household: returns that household's id. */
export function oneHousehold(records: { state: ResidentState }[], path: string): string {
  const ids = new Set(records.map((r) => r.state.householdId));
  if (ids.size !== 1) fieldError(path, "一度に異動できるのは同じ世帯の方だけです");
  return records[0]!.state.householdId;
}

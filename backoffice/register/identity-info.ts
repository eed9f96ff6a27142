/**
 * 本人確認情報: what 住基ネット must receive for a change (issue 3, item 4): name, birth date,
 * sex, address, 住民票コード, 個人番号, and the change's reason and date. The worker of the
 * `jukiNetIdentity` queue (payload: ids only) calls `buildIdentityInfo` in the closed zone.
 *
 * The record is rebuilt as it stood right after that change (its history replayed up to it), so
 * a message that is sent late still says what that change made, and messages for one person,
 * applied in their ordering-key order, walk the national server through the same states as the
 * register. `sequence` numbers the person's states (1, 2, 3 …).
 */
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { type AuditActor, appendAudit } from "./audit.js";
import { replay } from "./history.js";
import { type ChangeKind, changeKindLabel, type RemovalReason } from "./lifecycle.js";
import { type MyNumberKeys, openMyNumber } from "./my-number.js";
import type { MoveOutItems, Sex } from "./record.js";
import { getChange, loadHistory, loadMunicipality, toHistoryEntries } from "./records.queries.js";

export interface IdentityInfo {
  lgCode: string;
  residentId: string;
  changeId: string;
  /** The person's state number after this change (its record version). */
  sequence: number;
  residentCode: string;
  /** 個人番号; null while none is assigned. */
  myNumber: string | null;
  name: { family: string; given: string; familyKana: string; givenKana: string };
  birthDate: string;
  sex: Sex;
  address: {
    lgCode: string;
    prefecture: string;
    city: string;
    town: string;
    chome: number;
    block: number;
    lot: number | null;
    building: string | null;
    line: string;
  };
  change: {
    kind: ChangeKind;
    /** 異動事由 as people read it, e.g. 転入, 転出, 職権修正, 異動取消（転入）. */
    reason: string;
    /** 異動年月日 */
    effectiveDate: string;
    /** 届出年月日 (null for 職権) */
    notifiedOn: string | null;
    /** For a 異動取消: the kind of the change it undid. */
    cancelledKind: ChangeKind | null;
  };
  status: "none" | "active" | "moveOutScheduled" | "removed";
  removalReason: RemovalReason | null;
  removedOn: string | null;
  moveOut: MoveOutItems | null;
}

export class IdentityInfoError extends Error {
  override readonly name = "IdentityInfoError";
}

/**
 * Builds the 本人確認情報 of a change. Decrypting the 個人番号 is a read of it: the audit row
 * (`myNumber.read`) is written in the caller's transaction, so the read commits with its record.
 */
export async function buildIdentityInfo(
  trx: Transaction<BackofficeDatabase>,
  ref: { changeId: string; residentId: string },
  keys: MyNumberKeys,
  actor: AuditActor = { system: "juki-net" },
): Promise<IdentityInfo> {
  const change = await getChange(trx, ref.changeId);
  if (!change || change.residentId !== ref.residentId) {
    throw new IdentityInfoError("指定された異動がありません");
  }
  const history = await loadHistory(trx, change.residentId, change.seq);
  const replayed = replay(toHistoryEntries(history));
  if (!replayed) throw new IdentityInfoError("異動履歴がありません");
  const s = replayed.state;
  const municipality = await loadMunicipality(trx, s.lgCode);
  if (!municipality) throw new IdentityInfoError("市区町村の情報がありません");

  await appendAudit(trx, {
    lgCode: s.lgCode,
    actor,
    action: "myNumber.read",
    subjectResidentId: change.residentId,
    purpose: "住基ネットへの本人確認情報の通知",
    detail: { changeId: change.id, present: s.myNumberCipher !== null },
  });
  const myNumber =
    s.myNumberCipher === null ? null : openMyNumber(Buffer.from(s.myNumberCipher, "base64"), keys);

  let cancelledKind: ChangeKind | null = null;
  if (change.kind === "changeCancellation" && change.cancelsChangeId) {
    cancelledKind = (await getChange(trx, change.cancelsChangeId))?.kind ?? null;
  }
  const label = changeKindLabel[change.kind];
  return {
    lgCode: s.lgCode,
    residentId: change.residentId,
    changeId: change.id,
    sequence: replayed.version,
    residentCode: s.residentCode,
    myNumber,
    name: { family: s.familyName, given: s.givenName, familyKana: s.familyKana, givenKana: s.givenKana },
    birthDate: s.birthDate,
    sex: s.sex,
    address: {
      lgCode: s.lgCode,
      prefecture: municipality.prefecture,
      city: municipality.name,
      town: s.town,
      chome: s.chome,
      block: s.block,
      lot: s.lot,
      building: s.building,
      line: s.addressLine,
    },
    change: {
      kind: change.kind,
      reason: cancelledKind ? `${label}（${changeKindLabel[cancelledKind]}）` : label,
      effectiveDate: change.effectiveDate,
      notifiedOn: change.notifiedOn,
      cancelledKind,
    },
    status: s.status,
    removalReason: s.removalReason,
    removedOn: s.removedOn,
    moveOut: s.moveOut,
  };
}

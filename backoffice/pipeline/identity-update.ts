import type { IdentityUpdate, Reason } from "../../mocks/juki-net/protocol.js";
import type { IdentityInfo } from "../register/identity-info.js";
import type { ChangeKind } from "../register/lifecycle.js";

/**
 * The register's 本人確認情報 of a change as a 住基ネット identity update
 * (docs/contracts/juki-net.md, `POST /cs/identity-updates`).
 *
 * Reasons: a 転出 that is only scheduled (転出予定) and its 取消 do not remove the identity
 * information at the network (the contract's `moveOut` means 消除), so they are sent as
 * `correction` entries; the 転出確定 is the `moveOut` entry. This project's decision, noted in the
 * report of issue 5.
 */
type UpdateReason = Exclude<Reason, "seed">;
const reasonOf: Record<ChangeKind, UpdateReason> = {
  moveIn: "moveIn",
  specialMoveIn: "moveIn",
  moveOut: "correction",
  moveOutConfirm: "moveOut",
  moveOutCancel: "correction",
  relocation: "relocation",
  birth: "birth",
  death: "death",
  householdChange: "correction",
  emigration: "emigration",
  immigration: "immigration",
  exOfficioEntry: "exOfficioEntry",
  exOfficioRemoval: "exOfficioRemoval",
  exOfficioCorrection: "correction",
  changeCancellation: "changeCancellation",
};

export class IdentityUpdateError extends Error {
  override readonly name = "IdentityUpdateError";
}

/**
 * `id`: the message id of the job (stable over retries, so a repeat has no second effect at the
 * network); `sequence`: the job's per-resident sequence — the register writes one identity job per
 * change that touched an identity item, numbered 1, 2, 3 … per resident record, exactly the
 * contract's per-(lgCode, 住民票コード) series.
 */
export function toIdentityUpdate(info: IdentityInfo, id: string, sequence: number): IdentityUpdate {
  if (!info.myNumber) throw new IdentityUpdateError("no 個人番号 assigned to the record");
  const reason: UpdateReason =
    info.change.kind === "emigration" && info.status !== "removed"
      ? "correction"
      : reasonOf[info.change.kind];
  const a = info.address;
  return {
    id,
    lgCode: info.lgCode,
    residentCode: info.residentCode,
    sequence,
    reason,
    reasonDate: info.change.effectiveDate,
    identity: {
      name: info.name,
      birthDate: info.birthDate,
      sex: info.sex,
      address: {
        lgCode: a.lgCode,
        line: a.line,
        prefecture: a.prefecture,
        city: a.city,
        town: a.town,
        chome: a.chome,
        block: a.block,
        ...(a.lot !== null ? { lot: a.lot } : {}),
        ...(a.building !== null ? { building: a.building } : {}),
      },
      myNumber: info.myNumber,
    },
  };
}

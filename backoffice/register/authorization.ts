import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { PERSONAL_KEYS } from "../../lib/logger.js";
import type { World } from "../../lib/world.js";
import { appendAudit } from "./audit.js";
import { isValidMyNumber, isValidResidentCode } from "./identifiers.js";
import type { MyNumberKeys } from "./my-number.js";

/**
 * Authorization in the domain: each command states which roles may run it, and nothing else
 * decides. Staff act only on their own municipality's register.
 *
 * Policy (this project's decision, docs/decisions):
 * - clerk (窓口担当) runs every ordinary notification change, views records and issues certificates;
 * - supervisor (係長) may do all a clerk does, and alone approves;
 * - 職権 changes (記載・消除・修正) and 異動取消 are requested by a clerk or a supervisor and run
 *   only with a supervisor's approval given by a different person (APPROVAL_REQUIRED);
 * - auditor (監査担当) views the audit log and nothing else: no record, no change;
 * - admin (システム管理者) manages queues and accounts, never records: no command here.
 * Roles are listed in order of preference: `authorize` returns the first one the actor holds,
 * so a clerk-and-supervisor doing a 転入 is recorded as clerk.
 */

export type StaffRole = "clerk" | "supervisor" | "auditor" | "admin";

export interface Actor {
  staffId: string;
  lgCode: string;
  roles: StaffRole[];
}

export type CommandName =
  | "moveIn"
  | "specialMoveIn"
  | "moveOut"
  | "moveOutConfirm"
  | "moveOutCancel"
  | "relocation"
  | "birth"
  | "death"
  | "householdChange"
  | "emigration"
  | "immigration"
  | "exOfficioEntry"
  | "exOfficioRemoval"
  | "exOfficioCorrection"
  | "changeCancellation"
  | "viewRecord"
  | "approve"
  | "issueCertificate"
  | "viewAudit"
  | "cardIdentityCheck"
  | "cardOperation";

const COUNTER = ["clerk", "supervisor"] as const;

export const POLICY = {
  moveIn: COUNTER,
  specialMoveIn: COUNTER,
  moveOut: COUNTER,
  moveOutConfirm: COUNTER,
  moveOutCancel: COUNTER,
  relocation: COUNTER,
  birth: COUNTER,
  death: COUNTER,
  householdChange: COUNTER,
  emigration: COUNTER,
  immigration: COUNTER,
  exOfficioEntry: COUNTER,
  exOfficioRemoval: COUNTER,
  exOfficioCorrection: COUNTER,
  changeCancellation: COUNTER,
  viewRecord: COUNTER,
  approve: ["supervisor"],
  issueCertificate: COUNTER,
  viewAudit: ["auditor"],
  cardIdentityCheck: COUNTER,
  cardOperation: COUNTER,
} as const satisfies Record<CommandName, readonly StaffRole[]>;

/** Commands that run only with a consumed approval (requestApproval → approve → consumeApproval). */
export const APPROVAL_REQUIRED: ReadonlySet<CommandName> = new Set<CommandName>([
  "exOfficioEntry",
  "exOfficioRemoval",
  "exOfficioCorrection",
  "changeCancellation",
]);

export function requiresApproval(command: CommandName): boolean {
  return APPROVAL_REQUIRED.has(command);
}

/** Japanese names of the commands, for messages people read. */
export const COMMAND_LABELS: Record<CommandName, string> = {
  moveIn: "転入",
  specialMoveIn: "特例転入",
  moveOut: "転出",
  moveOutConfirm: "転出確定",
  moveOutCancel: "転出取消",
  relocation: "転居",
  birth: "出生",
  death: "死亡",
  householdChange: "世帯変更",
  emigration: "国外転出",
  immigration: "国外からの転入",
  exOfficioEntry: "職権記載",
  exOfficioRemoval: "職権消除",
  exOfficioCorrection: "職権修正",
  changeCancellation: "異動取消",
  viewRecord: "住民票の閲覧",
  approve: "承認",
  issueCertificate: "証明書の交付",
  viewAudit: "監査ログの閲覧",
  cardIdentityCheck: "カードによる本人確認",
  cardOperation: "マイナンバーカードの手続",
};

const ROLE_LABELS: Record<StaffRole, string> = {
  clerk: "窓口担当",
  supervisor: "係長",
  auditor: "監査担当",
  admin: "システム管理者",
};

export type ForbiddenReason = "role" | "municipality" | "selfApproval" | "approval";

export class ForbiddenError extends Error {
  override name = "ForbiddenError";
  constructor(
    message: string,
    readonly reason: ForbiddenReason,
    readonly command: CommandName,
  ) {
    super(message);
  }
}

/**
 * Returns the role under which the actor may run the command for the municipality, or throws
 * ForbiddenError (Japanese message naming the roles that may).
 */
export function authorize(actor: Actor, command: CommandName, lgCode: string): StaffRole {
  const allowed: readonly StaffRole[] | undefined = POLICY[command];
  if (!allowed) throw new ForbiddenError(`不明な操作です（${String(command)}）`, "role", command);
  if (actor.lgCode !== lgCode) {
    throw new ForbiddenError(
      `他の市区町村（${lgCode}）の住民記録は扱えません（所属: ${actor.lgCode}）`,
      "municipality",
      command,
    );
  }
  const role = allowed.find((r) => actor.roles.includes(r));
  if (!role) {
    const who = actor.roles.length ? actor.roles.map((r) => ROLE_LABELS[r] ?? r).join("・") : "役割なし";
    const may = allowed.map((r) => ROLE_LABELS[r]).join("・");
    throw new ForbiddenError(
      `${COMMAND_LABELS[command]}を行う権限がありません（現在の役割: ${who}。行えるのは ${may} です）`,
      "role",
      command,
    );
  }
  return role;
}

/**
 * Records a refusal. Pass the database (not the failing command's transaction): the row is then
 * written in a transaction of its own, so it commits although the command rolls back. Given a
 * transaction, it writes there (the caller owns that choice). The row goes to the chain of the
 * municipality the actor tried to act on, when that is a 6-digit code, else to the actor's own.
 */
export async function auditRefusal(
  db: Kysely<BackofficeDatabase>,
  actor: Actor,
  command: CommandName,
  lgCode: string,
  reason?: string,
): Promise<void> {
  const write = (trx: Transaction<BackofficeDatabase>) =>
    appendAudit(trx, {
      lgCode: /^\d{6}$/.test(lgCode) ? lgCode : actor.lgCode,
      actor: { staffId: actor.staffId, role: actor.roles.join(",") || "none" },
      action: "authorization.refused",
      detail: {
        command,
        targetLgCode: /^\d{6}$/.test(lgCode) ? lgCode : "(invalid)",
        actorLgCode: actor.lgCode,
        ...(reason ? { reason } : {}),
      },
    });
  if (db.isTransaction) await write(db as Transaction<BackofficeDatabase>);
  else await db.transaction().execute(write);
}

/**
 * authorize, and on refusal audit it in its own transaction and rethrow. The usual entry point
 * of a command: call it before opening the command's transaction.
 */
export async function authorizeOrAudit(
  db: Kysely<BackofficeDatabase>,
  actor: Actor,
  command: CommandName,
  lgCode: string,
): Promise<StaffRole> {
  try {
    return authorize(actor, command, lgCode);
  } catch (err) {
    if (err instanceof ForbiddenError) {
      await auditRefusal(db, actor, command, lgCode, err.reason);
    }
    throw err;
  }
}

export function actorFromWorld(world: World, staffId: string): Actor {
  const staff = world.staff.find((s) => s.id === staffId);
  if (!staff) throw new ForbiddenError(`職員 ${staffId} は登録されていません`, "role", "viewRecord");
  return { staffId: staff.id, lgCode: staff.lgCode, roles: [...staff.roles] };
}

// ─── Approvals (二人の職員による確認) ─────────────────────────────────────────────────────

/**
 * Payload decision: an approval's payload is stored in clear only if it holds no personal data
 * (no key named like a personal field — the logger's PERSONAL_KEYS — and no string that is a
 * valid 個人番号 or 住民票コード): references such as the resident id and reason codes. A payload
 * that must carry personal values (e.g. the corrected name of a 職権修正) is sealed with
 * AES-256-GCM under a key derived (HKDF) from the 個人番号 encryption key: pass `keys`.
 */
export class ApprovalError extends Error {
  override name = "ApprovalError";
}

const PERSONAL = new Set<string>(PERSONAL_KEYS.map((k) => k.toLowerCase()));

function findPersonal(value: unknown, path: string): string | null {
  if (typeof value === "string") {
    const digits = value.replace(/[\s-]/g, "");
    if (isValidMyNumber(digits) || isValidResidentCode(digits)) return path || "(payload)";
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findPersonal(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (PERSONAL.has(k.toLowerCase())) return p;
      const hit = findPersonal(v, p);
      if (hit) return hit;
    }
  }
  return null;
}

const PAYLOAD_AAD = Buffer.from("juki:approval-payload:v1", "utf8");

function payloadKey(keys: MyNumberKeys): Buffer {
  return Buffer.from(hkdfSync("sha256", keys.encryptionKey, Buffer.alloc(0), "juki:approval-payload:v1", 32));
}

function sealPayload(payload: unknown, keys: MyNumberKeys, approvalId: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", payloadKey(keys), iv);
  c.setAAD(Buffer.concat([PAYLOAD_AAD, Buffer.from(approvalId, "utf8")]));
  const body = Buffer.concat([c.update(JSON.stringify(payload ?? null), "utf8"), c.final()]);
  return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
}

function openPayload(cipher: Buffer, keys: MyNumberKeys, approvalId: string): unknown {
  try {
    if (cipher[0] !== 1) throw new Error("version");
    const d = createDecipheriv("aes-256-gcm", payloadKey(keys), cipher.subarray(1, 13));
    d.setAAD(Buffer.concat([PAYLOAD_AAD, Buffer.from(approvalId, "utf8")]));
    d.setAuthTag(cipher.subarray(13, 29));
    return JSON.parse(Buffer.concat([d.update(cipher.subarray(29)), d.final()]).toString("utf8"));
  } catch {
    throw new ApprovalError("承認申請の内容を復号できません（改ざん、または鍵の不一致）");
  }
}

export interface ApprovalRequest {
  lgCode: string;
  command: CommandName;
  payload: unknown;
  requestedBy: Actor;
  /** Given: the payload is sealed and may hold personal values. Absent: it must hold none. */
  keys?: MyNumberKeys;
}

/**
 * Opens an approval request for a command that needs one; the requester must be allowed to
 * request the command. Returns the approval id. Audited (`approval.requested`).
 */
export async function requestApproval(
  trx: Transaction<BackofficeDatabase>,
  req: ApprovalRequest,
): Promise<string> {
  const role = authorize(req.requestedBy, req.command, req.lgCode);
  if (!requiresApproval(req.command)) {
    throw new ApprovalError(`${COMMAND_LABELS[req.command]}に承認は必要ありません`);
  }
  const id = (await sql<{ id: string }>`select gen_random_uuid() as id`.execute(trx)).rows[0]!.id;
  let payload: string | null = null;
  let cipher: Buffer | null = null;
  if (req.keys) {
    cipher = sealPayload(req.payload, req.keys, id);
  } else {
    const hit = findPersonal(req.payload, "");
    if (hit) {
      throw new ApprovalError(
        `承認申請の内容に個人情報（${hit}）が含まれています。参照（住民 ID など）にするか、暗号化してください`,
      );
    }
    payload = JSON.stringify(req.payload ?? null);
  }
  await sql`
    insert into register.approval (id, lg_code, command, payload, payload_cipher, requested_by, requested_role)
    values (${id}, ${req.lgCode}, ${req.command}, ${payload}::jsonb, ${cipher}, ${req.requestedBy.staffId}, ${role})`.execute(
    trx,
  );
  await appendAudit(trx, {
    lgCode: req.lgCode,
    actor: { staffId: req.requestedBy.staffId, role },
    action: "approval.requested",
    detail: { approvalId: id, command: req.command, sealed: cipher !== null },
  });
  return id;
}

interface ApprovalRow {
  id: string;
  lg_code: string;
  command: CommandName;
  payload: unknown;
  payload_cipher: Buffer | null;
  requested_by: string;
  requested_role: StaffRole;
  approved_by: string | null;
  approved_role: StaffRole | null;
  status: "pending" | "approved" | "rejected" | "consumed";
}

const STATUS_LABELS: Record<ApprovalRow["status"], string> = {
  pending: "承認待ち",
  approved: "承認済み",
  rejected: "却下",
  consumed: "実行済み",
};

async function lockApproval(trx: Transaction<BackofficeDatabase>, approvalId: string): Promise<ApprovalRow> {
  if (!/^[0-9a-f-]{36}$/i.test(approvalId)) throw new ApprovalError("承認申請が見つかりません");
  const row = (
    await sql<ApprovalRow>`
      select id, lg_code, command, payload, payload_cipher, requested_by, requested_role, approved_by, approved_role, status
      from register.approval where id = ${approvalId} for update`.execute(trx)
  ).rows[0];
  if (!row) throw new ApprovalError("承認申請が見つかりません");
  return row;
}

/**
 * A supervisor of the same municipality approves; never the requester (two different people).
 * Refusals throw ForbiddenError (the caller audits them with auditRefusal). Audited (`approval.approved`).
 */
export async function approve(
  trx: Transaction<BackofficeDatabase>,
  args: { approvalId: string; approver: Actor },
): Promise<void> {
  const row = await lockApproval(trx, args.approvalId);
  const role = authorize(args.approver, "approve", row.lg_code);
  if (row.requested_by === args.approver.staffId) {
    throw new ForbiddenError(
      "自分が申請したものは承認できません（申請者と別の係長が承認します）",
      "selfApproval",
      "approve",
    );
  }
  if (row.status !== "pending") {
    throw new ApprovalError(`この申請は${STATUS_LABELS[row.status]}のため承認できません`);
  }
  await sql`
    update register.approval
    set status = 'approved', approved_by = ${args.approver.staffId}, approved_role = ${role}, approved_at = now()
    where id = ${row.id}`.execute(trx);
  await appendAudit(trx, {
    lgCode: row.lg_code,
    actor: { staffId: args.approver.staffId, role },
    action: "approval.approved",
    detail: { approvalId: row.id, command: row.command, requestedBy: row.requested_by },
  });
}

/** A supervisor (other than the requester) rejects a pending request. Audited (`approval.rejected`). */
export async function rejectApproval(
  trx: Transaction<BackofficeDatabase>,
  args: { approvalId: string; approver: Actor; reason?: string },
): Promise<void> {
  const row = await lockApproval(trx, args.approvalId);
  const role = authorize(args.approver, "approve", row.lg_code);
  if (row.requested_by === args.approver.staffId) {
    throw new ForbiddenError(
      "自分が申請したものは却下できません（取り下げてください）",
      "selfApproval",
      "approve",
    );
  }
  if (row.status !== "pending") {
    throw new ApprovalError(`この申請は${STATUS_LABELS[row.status]}のため却下できません`);
  }
  await sql`
    update register.approval
    set status = 'rejected', rejected_by = ${args.approver.staffId}, rejected_at = now(), payload = null, payload_cipher = null
    where id = ${row.id}`.execute(trx);
  await appendAudit(trx, {
    lgCode: row.lg_code,
    actor: { staffId: args.approver.staffId, role },
    action: "approval.rejected",
    detail: { approvalId: row.id, command: row.command, ...(args.reason ? { reason: args.reason } : {}) },
  });
}

/**
 * Marks an approved request as used by the command it approves, once only: a second call (or a
 * concurrent one, which waits on the row lock) fails. Call it in the command's own transaction,
 * so that a rolled-back command leaves the approval usable. The stored payload is returned and
 * then erased from the row, so personal values live only as long as needed (the command's own
 * history and audit rows say what was done).
 */
export async function consumeApproval(
  trx: Transaction<BackofficeDatabase>,
  args: { approvalId: string; lgCode: string; command: CommandName; keys?: MyNumberKeys },
): Promise<{ requestedBy: Actor; approvedBy: Actor; payload: unknown }> {
  const row = await lockApproval(trx, args.approvalId);
  if (row.lg_code !== args.lgCode || row.command !== args.command) {
    throw new ApprovalError(`この承認は別の操作のものです（${COMMAND_LABELS[row.command] ?? row.command}）`);
  }
  if (row.status !== "approved") {
    throw new ApprovalError(`この申請は${STATUS_LABELS[row.status]}のため実行できません`);
  }
  let payload: unknown;
  if (row.payload_cipher) {
    if (!args.keys) throw new ApprovalError("暗号化された承認申請です。鍵を渡してください");
    payload = openPayload(row.payload_cipher, args.keys, row.id);
  } else {
    payload = row.payload;
  }
  await sql`
    update register.approval
    set status = 'consumed', consumed_at = now(), payload = null, payload_cipher = null
    where id = ${row.id}`.execute(trx);
  return {
    requestedBy: { staffId: row.requested_by, lgCode: row.lg_code, roles: [row.requested_role] },
    approvedBy: { staffId: row.approved_by!, lgCode: row.lg_code, roles: [row.approved_role!] },
    payload,
  };
}

export interface PendingApproval {
  id: string;
  command: CommandName;
  requestedBy: string;
  requestedRole: StaffRole;
  requestedAt: Date;
  /** The payload when stored in clear (references only); null when sealed. */
  payload: unknown;
  sealed: boolean;
  /** The viewer made this request, so cannot approve it. */
  ownRequest: boolean;
}

/**
 * The supervisor's queue (承認待ち一覧): pending requests of their municipality, oldest first.
 * Sealed payloads stay sealed here; they open only when the approved command consumes them.
 */
export async function listPendingApprovals(
  db: Kysely<BackofficeDatabase>,
  args: { lgCode: string; viewer: Actor; limit?: number },
): Promise<PendingApproval[]> {
  authorize(args.viewer, "approve", args.lgCode);
  const limit = Math.min(Math.max(args.limit ?? 50, 1), 200);
  const rows = await sql<{
    id: string;
    command: CommandName;
    requested_by: string;
    requested_role: StaffRole;
    requested_at: Date;
    payload: unknown;
    sealed: boolean;
  }>`
    select id, command, requested_by, requested_role, requested_at, payload, payload_cipher is not null as sealed
    from register.approval
    where lg_code = ${args.lgCode} and status = 'pending'
    order by requested_at, id limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    command: r.command,
    requestedBy: r.requested_by,
    requestedRole: r.requested_role,
    requestedAt: r.requested_at,
    payload: r.sealed ? null : r.payload,
    sealed: r.sealed,
    ownRequest: r.requested_by === args.viewer.staffId,
  }));
}

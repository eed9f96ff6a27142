/**
 * The supervisor's approval queue (承認待ち一覧) for the counter's 職権記載・消除・修正 and 異動取消:
 * list, open (the sealed summary of what was asked, audited), approve — which runs the command
 * in the same transaction, so an approval never stands without its change — or reject with a
 * reason. Two different people: the register refuses the requester (authorization.ts).
 */
import { parseWithZod } from "@conform-to/zod";
import type { Transaction } from "kysely";
import type { BackofficeDatabase } from "../../../db/types/backoffice.js";
import { appendAudit } from "../../register/audit.js";
import {
  approve,
  auditRefusal,
  authorizeOrAudit,
  type CommandName,
  ForbiddenError,
  listPendingApprovals,
  type PendingApproval,
  rejectApproval,
} from "../../register/authorization.js";
import {
  type ApprovedCommandInput,
  type CommandContext,
  type CommandResult,
  changeCancellation,
  exOfficioCorrection,
  exOfficioEntry,
  exOfficioRemoval,
} from "../../register/commands/index.js";
import type { FormRefs } from "./field-paths.js";
import type { ChangeFormKind } from "./kinds.js";
import {
  type ApprovalInfo,
  approvalsRequestedBy,
  eraseSummary,
  getApprovalInfo,
  getCounterRequestByApproval,
  storedCommandRequest,
} from "./requests.queries.js";
import { decisionSchema } from "./schema.js";
import { openSummary, type SummaryRow } from "./seal.js";
import { type FormReply, refusal, type StaffCommandContext } from "./submit.server.js";

const APPROVED_COMMANDS: Partial<
  Record<CommandName, (ctx: CommandContext, input: ApprovedCommandInput) => Promise<CommandResult>>
> = {
  exOfficioEntry,
  exOfficioRemoval,
  exOfficioCorrection,
  changeCancellation,
};

/** The request key of the command an approval runs: one per approval, so approving twice runs it once. */
export function approvalRequestKey(approvalId: string): string {
  return `approval:${approvalId}`;
}

export interface ApprovalQueue {
  pending: PendingApproval[];
  /** This staff member's own requests, newest first (any status). */
  mine: ApprovalInfo[];
}

export async function approvalQueue(ctx: StaffCommandContext): Promise<ApprovalQueue> {
  const pending = await listPendingApprovals(ctx.db, { lgCode: ctx.actor.lgCode, viewer: ctx.actor });
  const mine = await approvalsRequestedBy(ctx.db, { lgCode: ctx.actor.lgCode, staffId: ctx.actor.staffId });
  return { pending, mine };
}

/** A clerk's view of their own requests (no approval right needed). */
export async function myRequests(ctx: StaffCommandContext): Promise<ApprovalInfo[]> {
  return approvalsRequestedBy(ctx.db, { lgCode: ctx.actor.lgCode, staffId: ctx.actor.staffId });
}

export interface ApprovalDetail {
  info: ApprovalInfo;
  /** What was asked; null once decided (erased) or when it cannot be opened. */
  summary: SummaryRow[] | null;
  ownRequest: boolean;
  /** Set once approved and run: the result page's key. */
  resultKey: string | null;
}

/**
 * One request, for a supervisor of its municipality (null: none here — the page answers 404, so
 * another municipality's requests are not revealed). Opening the summary is audited.
 */
export async function openApproval(
  ctx: StaffCommandContext,
  approvalId: string,
): Promise<ApprovalDetail | null> {
  await authorizeOrAudit(ctx.db, ctx.actor, "approve", ctx.actor.lgCode);
  const info = await getApprovalInfo(ctx.db, approvalId);
  if (!info || info.lgCode !== ctx.actor.lgCode) return null;
  const request = await getCounterRequestByApproval(ctx.db, info.id);
  const summary = request?.summaryCipher ? openSummary(request.summaryCipher, ctx.keys, info.id) : null;
  if (summary) {
    await ctx.db.transaction().execute((trx) =>
      appendAudit(trx, {
        lgCode: info.lgCode,
        actor: { staffId: ctx.actor.staffId, role: "supervisor" },
        action: "approval.view",
        purpose: "職権異動・異動取消の承認審査",
        detail: { approvalId: info.id, command: info.command },
      }),
    );
  }
  const stored =
    info.status === "consumed" ? await storedCommandRequest(ctx.db, approvalRequestKey(info.id)) : undefined;
  return {
    info,
    summary,
    ownRequest: info.requestedBy === ctx.actor.staffId,
    resultKey: stored?.result ? approvalRequestKey(info.id) : null,
  };
}

export type DecisionOutcome =
  | { status: "invalid"; reply: FormReply }
  | { status: "approved"; requestKey: string; result: CommandResult }
  | { status: "rejected" };

/**
 * Approve (and run) or reject. A ForbiddenError (a clerk, the requester, another municipality)
 * is audited and rethrown: the route answers 403.
 */
export async function decideApproval(
  ctx: StaffCommandContext,
  approvalId: string,
  formData: FormData,
): Promise<DecisionOutcome | null> {
  await authorizeOrAudit(ctx.db, ctx.actor, "approve", ctx.actor.lgCode);
  const info = await getApprovalInfo(ctx.db, approvalId);
  if (!info || info.lgCode !== ctx.actor.lgCode) return null;
  const submission = parseWithZod(formData, { schema: decisionSchema });
  if (submission.status !== "success") return { status: "invalid", reply: submission.reply() };
  const { decision, reason } = submission.value;
  const requestKey = approvalRequestKey(info.id);
  const run = APPROVED_COMMANDS[info.command as CommandName];
  if (!run)
    return {
      status: "invalid",
      reply: submission.reply({ formErrors: ["この申請は窓口の画面では扱えません"] }),
    };

  // A repeated approve (double submit, back button): the first result.
  if (decision === "approve" && info.status === "consumed") {
    const stored = await storedCommandRequest(ctx.db, requestKey);
    if (stored?.result)
      return {
        status: "approved",
        requestKey,
        result: { ...(stored.result as CommandResult), replayed: true },
      };
  }
  if (decision === "reject" && info.status === "rejected" && info.rejectedBy === ctx.actor.staffId) {
    return { status: "rejected" };
  }

  try {
    if (decision === "reject") {
      await ctx.db.transaction().execute(async (trx) => {
        await rejectApproval(trx, {
          approvalId: info.id,
          approver: ctx.actor,
          ...(reason ? { reason } : {}),
        });
        await eraseSummary(trx, info.id);
      });
      return { status: "rejected" };
    }
    const result = await ctx.db.transaction().execute(async (trx: Transaction<BackofficeDatabase>) => {
      await approve(trx, { approvalId: info.id, approver: ctx.actor });
      const r = await run({ ...ctx, db: trx }, { requestKey, lgCode: info.lgCode, approvalId: info.id });
      await eraseSummary(trx, info.id);
      return r;
    });
    return { status: "approved", requestKey, result };
  } catch (err) {
    if (err instanceof ForbiddenError) {
      await auditRefusal(ctx.db, ctx.actor, "approve", info.lgCode, err.reason);
      throw err;
    }
    // The register refused the change itself (the record changed since the request): nothing
    // was written and the request stays pending; the supervisor reads why and may reject it.
    const mapped = refusal(info.command as ChangeFormKind, err, { residents: {} } satisfies FormRefs);
    if (mapped) {
      const messages = Object.values(mapped).flat();
      return { status: "invalid", reply: submission.reply({ formErrors: messages }) };
    }
    throw err;
  }
}

import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { loadWorld } from "../../lib/world.js";
import { backofficeDb, createTestDatabase, type TestDatabase } from "../../tests/support/database.js";
import { verifyAuditChain } from "./audit.js";
import {
  type Actor,
  APPROVAL_REQUIRED,
  ApprovalError,
  actorFromWorld,
  approve,
  auditRefusal,
  authorize,
  authorizeOrAudit,
  type CommandName,
  consumeApproval,
  ForbiddenError,
  listPendingApprovals,
  POLICY,
  rejectApproval,
  requestApproval,
  type StaffRole,
} from "./authorization.js";

const SUMIDA = "131075";
const TAITO = "131067";
const world = loadWorld();

/** Staff of the world file by municipality and role; a synthetic one if the world has none. */
function staff(lgCode: string, role: StaffRole): Actor {
  const found = world.staff.find((s) => s.lgCode === lgCode && s.roles.length === 1 && s.roles[0] === role);
  return found
    ? actorFromWorld(world, found.id)
    : { staffId: `test-${lgCode}-${role}`, lgCode, roles: [role] };
}

const COMMANDS = Object.keys(POLICY) as CommandName[];
const CHANGES = COMMANDS.filter(
  (c) => !["viewRecord", "approve", "issueCertificate", "viewAudit"].includes(c),
);

describe("authorize (pure)", () => {
  const clerk = staff(SUMIDA, "clerk");
  const supervisor = staff(SUMIDA, "supervisor");
  const auditor = staff(SUMIDA, "auditor");
  const admin = staff(SUMIDA, "admin");

  it("actorFromWorld reads the world's staff and refuses unknown ids", () => {
    const first = world.staff[0]!;
    expect(actorFromWorld(world, first.id)).toEqual({
      staffId: first.id,
      lgCode: first.lgCode,
      roles: first.roles,
    });
    expect(() => actorFromWorld(world, "nobody-here")).toThrow(ForbiddenError);
  });

  it("clerks run ordinary changes, view and issue, and cannot approve", () => {
    for (const c of [...CHANGES, "viewRecord", "issueCertificate"] as CommandName[]) {
      expect(authorize(clerk, c, SUMIDA), c).toBe("clerk");
    }
    expect(() => authorize(clerk, "approve", SUMIDA)).toThrow(/承認を行う権限がありません.*係長/);
    expect(() => authorize(clerk, "viewAudit", SUMIDA)).toThrow(ForbiddenError);
  });

  it("an auditor changes nothing and views no record, but views the audit log", () => {
    for (const c of COMMANDS.filter((c) => c !== "viewAudit")) {
      expect(() => authorize(auditor, c, SUMIDA), c).toThrow(ForbiddenError);
    }
    expect(authorize(auditor, "viewAudit", SUMIDA)).toBe("auditor");
  });

  it("an admin manages queues, not records: no command at all", () => {
    for (const c of COMMANDS) expect(() => authorize(admin, c, SUMIDA), c).toThrow(ForbiddenError);
  });

  it("a supervisor approves, and a clerk-and-supervisor is recorded as clerk for counter work", () => {
    expect(authorize(supervisor, "approve", SUMIDA)).toBe("supervisor");
    const both: Actor = { staffId: "both", lgCode: SUMIDA, roles: ["supervisor", "clerk"] };
    expect(authorize(both, "moveIn", SUMIDA)).toBe("clerk");
    expect(authorize(both, "approve", SUMIDA)).toBe("supervisor");
  });

  it("staff of 台東区 never act on 墨田区's register, whatever their role", () => {
    for (const role of ["clerk", "supervisor", "auditor", "admin"] as const) {
      const taito = staff(TAITO, role);
      for (const c of COMMANDS) {
        let err: unknown;
        try {
          authorize(taito, c, SUMIDA);
        } catch (e) {
          err = e;
        }
        expect(err, `${role} ${c}`).toBeInstanceOf(ForbiddenError);
        expect((err as ForbiddenError).reason).toBe("municipality");
        expect((err as Error).message).toMatch(/他の市区町村（131075）/);
      }
    }
  });

  it("職権 changes and 異動取消 need an approval; ordinary ones do not", () => {
    expect([...APPROVAL_REQUIRED].sort()).toEqual(
      ["changeCancellation", "exOfficioCorrection", "exOfficioEntry", "exOfficioRemoval"].sort(),
    );
  });
});

describe("refusals and approvals (database)", () => {
  let t: TestDatabase;
  let db: Kysely<BackofficeDatabase>;
  const clerk = staff(SUMIDA, "clerk");
  const supervisor = staff(SUMIDA, "supervisor");
  const taitoSupervisor = staff(TAITO, "supervisor");

  beforeAll(async () => {
    t = await createTestDatabase();
    db = backofficeDb(t);
  });
  afterAll(async () => {
    await db.destroy();
    await t.drop();
  });

  const auditActions = async () =>
    (
      await sql<{ action: string; actor: string; lg_code: string; detail: Record<string, unknown> }>`
        select action, actor, lg_code, detail from audit.log order by id`.execute(db)
    ).rows;

  it("a refusal is audited in its own transaction, so it commits though the command fails", async () => {
    const taitoClerk = staff(TAITO, "clerk");
    await expect(
      db.transaction().execute(async () => {
        await authorizeOrAudit(db, taitoClerk, "moveIn", SUMIDA);
      }),
    ).rejects.toThrow(ForbiddenError);
    const rows = await auditActions();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "authorization.refused",
      actor: taitoClerk.staffId,
      lg_code: SUMIDA,
      detail: { command: "moveIn", targetLgCode: SUMIDA, actorLgCode: TAITO, reason: "municipality" },
    });
    await auditRefusal(db, staff(SUMIDA, "auditor"), "death", SUMIDA);
    expect(await auditActions()).toHaveLength(2);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 2 });
  });

  async function request(by: Actor, payload: unknown = { residentId: "r-1", reasonCode: "duplicate" }) {
    return db
      .transaction()
      .execute((trx) =>
        requestApproval(trx, { lgCode: SUMIDA, command: "exOfficioRemoval", payload, requestedBy: by }),
      );
  }

  it("a clerk requests, a clerk cannot approve, a supervisor approves, and it is consumed once", async () => {
    const id = await request(clerk);
    await expect(
      db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: clerk })),
    ).rejects.toThrow(ForbiddenError);
    // Not yet approved: cannot be used.
    await expect(
      db
        .transaction()
        .execute((trx) =>
          consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" }),
        ),
    ).rejects.toThrow(/承認待ち/);
    await db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: supervisor }));
    // Wrong command or municipality: refused, and the approval stays usable.
    await expect(
      db
        .transaction()
        .execute((trx) =>
          consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioCorrection" }),
        ),
    ).rejects.toThrow(ApprovalError);
    const used = await db
      .transaction()
      .execute((trx) =>
        consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" }),
      );
    expect(used).toEqual({
      requestedBy: { staffId: clerk.staffId, lgCode: SUMIDA, roles: ["clerk"] },
      approvedBy: { staffId: supervisor.staffId, lgCode: SUMIDA, roles: ["supervisor"] },
      payload: { residentId: "r-1", reasonCode: "duplicate" },
    });
    await expect(
      db
        .transaction()
        .execute((trx) =>
          consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" }),
        ),
    ).rejects.toThrow(/実行済み/);
    const row = (
      await sql<{
        payload: unknown;
        status: string;
      }>`select payload, status from register.approval where id = ${id}`.execute(db)
    ).rows[0];
    expect(row).toEqual({ payload: null, status: "consumed" });
  });

  it("a consumption rolled back with its command leaves the approval usable; concurrent uses succeed once", async () => {
    const id = await request(clerk);
    await db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: supervisor }));
    await expect(
      db.transaction().execute(async (trx) => {
        await consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" });
        throw new Error("the command failed");
      }),
    ).rejects.toThrow("the command failed");
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        db
          .transaction()
          .execute((trx) =>
            consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" }),
          ),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("the requester cannot approve their own request; two different people are needed", async () => {
    const id = await request(supervisor);
    const err = await db
      .transaction()
      .execute((trx) => approve(trx, { approvalId: id, approver: supervisor }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.reason).toBe("selfApproval");
    const other: Actor = { staffId: `${supervisor.staffId}-2`, lgCode: SUMIDA, roles: ["supervisor"] };
    await db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: other }));
    // The database refuses the same person in both columns too, whatever the code does.
    await expect(
      sql`update register.approval set approved_by = requested_by where id = ${id}`.execute(db),
    ).rejects.toThrow(/approval_two_people/);
  });

  it("another municipality's supervisor cannot approve; rejected requests cannot be used", async () => {
    const id = await request(clerk);
    await expect(
      db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: taitoSupervisor })),
    ).rejects.toThrow(/他の市区町村/);
    await db.transaction().execute((trx) => rejectApproval(trx, { approvalId: id, approver: supervisor }));
    await expect(
      db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: supervisor })),
    ).rejects.toThrow(/却下/);
    await expect(
      db
        .transaction()
        .execute((trx) =>
          consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioRemoval" }),
        ),
    ).rejects.toThrow(/却下/);
  });

  it("a supervisor's queue lists pending requests of their municipality only, sealed ones still sealed", async () => {
    const mine = await request(supervisor, { residentId: "queue-1" });
    const theirs = await request(clerk, { residentId: "queue-2" });
    const queue = await listPendingApprovals(db, { lgCode: SUMIDA, viewer: supervisor });
    const byId = new Map(queue.map((q) => [q.id, q]));
    expect(byId.get(mine)).toMatchObject({
      ownRequest: true,
      payload: { residentId: "queue-1" },
      sealed: false,
    });
    expect(byId.get(theirs)).toMatchObject({ ownRequest: false, requestedBy: clerk.staffId });
    expect(queue.every((q) => q.command === "exOfficioRemoval" || q.command === "exOfficioCorrection")).toBe(
      true,
    );
    await expect(listPendingApprovals(db, { lgCode: SUMIDA, viewer: clerk })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await listPendingApprovals(db, { lgCode: TAITO, viewer: taitoSupervisor })).toEqual([]);
  });

  it("only commands that need one can be requested, and only by someone allowed to run them", async () => {
    await expect(
      db
        .transaction()
        .execute((trx) =>
          requestApproval(trx, { lgCode: SUMIDA, command: "moveIn", payload: {}, requestedBy: clerk }),
        ),
    ).rejects.toThrow(/承認は必要ありません/);
    await expect(request(staff(SUMIDA, "auditor"))).rejects.toThrow(ForbiddenError);
    await expect(
      db.transaction().execute((trx) => approve(trx, { approvalId: "not-an-id", approver: supervisor })),
    ).rejects.toThrow(/見つかりません/);
  });

  it("personal data in a payload is refused in clear and sealed when keys are given", async () => {
    const myNumber = "983205673214";
    for (const payload of [
      { residentId: "r", familyName: "墨田" },
      { list: [{ note: myNumber }] },
      { x: { address: "…" } },
    ]) {
      const err = await request(clerk, payload).catch((e) => e);
      expect(err).toBeInstanceOf(ApprovalError);
      expect(err.message).not.toContain(myNumber);
    }
    const keys = { encryptionKey: randomBytes(32), indexKey: randomBytes(32) };
    const payload = { residentId: "r-2", after: { familyName: "髙橋", myNumber } };
    const id = await db.transaction().execute((trx) =>
      requestApproval(trx, {
        lgCode: SUMIDA,
        command: "exOfficioCorrection",
        payload,
        requestedBy: clerk,
        keys,
      }),
    );
    const stored = (
      await sql<{ text: string }>`select r::text as text from register.approval r where id = ${id}`.execute(
        db,
      )
    ).rows[0]!.text;
    expect(stored).not.toContain("髙橋");
    expect(stored).not.toContain(myNumber);
    await db.transaction().execute((trx) => approve(trx, { approvalId: id, approver: supervisor }));
    await expect(
      db
        .transaction()
        .execute((trx) =>
          consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioCorrection" }),
        ),
    ).rejects.toThrow(/鍵/);
    const used = await db
      .transaction()
      .execute((trx) =>
        consumeApproval(trx, { approvalId: id, lgCode: SUMIDA, command: "exOfficioCorrection", keys }),
      );
    expect(used.payload).toEqual(payload);
    const log = (
      await sql<{ text: string }>`select string_agg(l::text, ' ') as text from audit.log l`.execute(db)
    ).rows[0]!.text;
    expect(log).not.toContain(myNumber);
    expect(log).toMatch(/approval\.requested.*approval\.approved/s);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });
});

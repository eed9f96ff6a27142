import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve, ForbiddenError } from "../authorization.js";
import { ConcurrentModificationError, RegisterValidationError, RequestKeyReusedError } from "../errors.js";
import { isValidResidentCode } from "../identifiers.js";
import { buildIdentityInfo } from "../identity-info.js";
import { IllegalTransitionError } from "../lifecycle.js";
import { getResident, loadHistory } from "../records.queries.js";
import {
  address,
  context,
  counts,
  foreignResident,
  householdsBreakingHeadRule,
  japanese,
  newMyNumber,
  newResidentCode,
  type RegisterFixture,
  registerFixture,
  replayMismatches,
  requestKey,
} from "../test-support.js";
import {
  birth,
  changeCancellation,
  death,
  emigration,
  exOfficioCorrection,
  exOfficioEntry,
  exOfficioRemoval,
  householdChange,
  immigration,
  type MoveInInput,
  moveIn,
  moveOut,
  moveOutCancel,
  moveOutConfirm,
  relocation,
  requestChangeCancellation,
  requestExOfficioCorrection,
  requestExOfficioEntry,
  requestExOfficioRemoval,
  specialMoveIn,
} from "./index.js";
import type { CommandContext } from "./runner.js";

const TODAY = "2026-11-26";
let f: RegisterFixture;
let ctx: CommandContext;
let lg: string;
/** Another municipality that exists (for 転出先 / 転出元). */
const OTHER_LG = "131083";

beforeAll(async () => {
  f = await registerFixture();
  ctx = context(f, f.clerk, TODAY);
  lg = f.municipality.lgCode;
});
afterAll(async () => {
  await f?.close();
});

function moveInInput(over: Partial<MoveInInput> = {}): MoveInInput {
  return {
    requestKey: requestKey("movein"),
    lgCode: lg,
    movedInOn: "2026-11-20",
    notifiedOn: TODAY,
    certificate: {
      fromLgCode: OTHER_LG,
      fromAddress: "東京都江東区亀戸一丁目1番1号",
      plannedMoveOutDate: "2026-11-20",
    },
    persons: [japanese()],
    household: { kind: "new" },
    address: address(f.municipality, 0),
    ...over,
  };
}

/** A family of three moved in; returns their ids (head, spouse, child) and household. */
async function family(which = 0) {
  const r = await moveIn(
    ctx,
    moveInInput({
      address: address(f.municipality, which),
      persons: [
        japanese({ given: "一郎", givenKana: "イチロウ" }),
        japanese({ given: "花子", givenKana: "ハナコ", sex: "female", relationship: "妻" }),
        japanese({ given: "次郎", givenKana: "ジロウ", birthDate: "2015-06-01", relationship: "子" }),
      ],
    }),
  );
  const [head, spouse, child] = r.residentIds as [string, string, string];
  return { head, spouse, child, householdId: r.householdIds[0]! };
}

async function expectFields(p: Promise<unknown>, ...fields: string[]): Promise<RegisterValidationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a RegisterValidationError").toBeInstanceOf(RegisterValidationError);
  const v = err as RegisterValidationError;
  for (const field of fields) expect(Object.keys(v.fields), JSON.stringify(v.fields)).toContain(field);
  for (const message of Object.values(v.fields)) expect(message).toMatch(/[ぁ-んァ-ン一-龥]/);
  return v;
}

async function refusedWithoutWrites(p: () => Promise<unknown>, ...fields: string[]) {
  const before = await counts(f.db);
  const err = await expectFields(p(), ...fields);
  expect(await counts(f.db)).toEqual(before);
  return err;
}

async function approved<T>(
  request: () => Promise<string>,
  run: (approvalId: string) => Promise<T>,
): Promise<T> {
  const approvalId = await request();
  await f.db.transaction().execute((trx) => approve(trx, { approvalId, approver: f.supervisor }));
  return run(approvalId);
}

describe("転入 (moveIn)", () => {
  it("registers a household of three: records, history, outbox and audit in one go", async () => {
    const before = await counts(f.db);
    const { head, spouse, child, householdId } = await family();
    const after = await counts(f.db);
    expect(after.residents - before.residents).toBe(3);
    expect(after.households - before.households).toBe(1);
    expect(after.changes - before.changes).toBe(3);
    expect(after.audits - before.audits).toBe(3);
    // 本人確認情報 and the address notice, per person
    expect(after.outbox - before.outbox).toBe(6);
    const row = (await getResident(f.db, head))!;
    expect(row.status).toBe("active");
    expect(row.household_id).toBe(householdId);
    expect(row.relationship).toBe("世帯主");
    expect(row.address_line).toContain(`${f.municipality.prefecture}${f.municipality.name}`);
    expect(row.address_line).toContain("一丁目10番1号");
    expect(row.name_search).toBe("試験一郎");
    expect(row.kana_search).toBe("シケンイチロウ");
    expect(row.my_number_cipher).toBeInstanceOf(Buffer);
    expect(row.resident_since).toBe("2026-11-20");
    expect(row.address_notified_on).toBe(TODAY);
    expect(row.previous_address).toBe("東京都江東区亀戸一丁目1番1号");
    expect((await getResident(f.db, spouse))!.relationship).toBe("妻");
    expect((await getResident(f.db, child))!.relationship).toBe("子");

    const [change] = await loadHistory(f.db, head);
    expect(change).toMatchObject({
      kind: "moveIn",
      origin: "notification",
      effectiveDate: "2026-11-20",
      notifiedOn: TODAY,
      staffId: f.clerk.staffId,
      staffRole: "clerk",
      systemActor: null,
      late: false,
    });
    const outbox = await sql<{ queue: string; payload: Record<string, string>; ordering_key: string }>`
      select queue, payload, ordering_key from messaging.outbox where payload->>'residentId' = ${head}`.execute(
      f.db,
    );
    expect(outbox.rows.map((r) => r.queue).sort()).toEqual(["address-notice", "juki-net-identity"]);
    for (const r of outbox.rows) {
      // ids only, ordered per person
      expect(Object.keys(r.payload).sort()).toEqual(["changeId", "residentId"]);
      expect(r.ordering_key).toBe(`${r.queue}:${head}`);
    }
    const audit = await sql<{ action: string; actor: string; detail: Record<string, unknown> }>`
      select action, actor, detail from audit.log where subject = ${head}`.execute(f.db);
    expect(audit.rows).toEqual([
      expect.objectContaining({ action: "command.moveIn", actor: f.clerk.staffId }),
    ]);
    expect(JSON.stringify(audit.rows[0]!.detail)).not.toContain("試験");
  });

  it("accepts a late notification and flags it 届出期間経過", async () => {
    const r = await moveIn(ctx, moveInInput({ movedInOn: "2026-10-01", notifiedOn: TODAY }));
    expect(r.late).toBe(true);
    expect((await loadHistory(f.db, r.residentIds[0]!))[0]!.late).toBe(true);
  });

  it("refuses bad input field by field and writes nothing", async () => {
    const bad = japanese({ residentCode: "12345678901", myNumber: "123456789012" });
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [bad] })),
      "persons.0.residentCode",
      "persons.0.myNumber",
    );
    await refusedWithoutWrites(() => moveIn(ctx, moveInInput({ movedInOn: "2026-12-01" })), "movedInOn");
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ movedInOn: "2026-11-20", notifiedOn: "2026-11-19" })),
      "notifiedOn",
    );
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ address: { town: "存在しない町", chome: 1, block: 1 } })),
      "address.town",
    );
    const town = f.municipality.towns.find((t) => t.chomeMax > 0)!;
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ address: { town: town.name, chome: town.chomeMax + 1, block: 1 } })),
      "address.chome",
    );
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [japanese({ relationship: "子" })] })),
      "persons",
    );
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [japanese({ honseki: null })] })),
      "persons.0.honseki",
    );
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [japanese({ birthDate: "2027-01-01" })] })),
      "persons.0.birthDate",
    );
    await refusedWithoutWrites(
      () =>
        moveIn(
          ctx,
          moveInInput({ certificate: { fromLgCode: lg, fromAddress: "x", plannedMoveOutDate: TODAY } }),
        ),
      "certificate.fromLgCode",
    );
    await refusedWithoutWrites(
      () =>
        moveIn(
          ctx,
          moveInInput({
            persons: [japanese({ name: { family: "", given: "", familyKana: "abc", givenKana: "" } })],
          }),
        ),
      "persons.0.name.family",
      "persons.0.name.familyKana",
    );
    // malformed input (not even the right shape)
    await refusedWithoutWrites(
      () => moveIn(ctx, { requestKey: requestKey(), lgCode: lg } as unknown as MoveInInput),
      "movedInOn",
      "certificate",
      "persons",
      "household",
    );
    await refusedWithoutWrites(() => moveIn(ctx, moveInInput({ lgCode: "131076" })), "lgCode");
  });

  it("refuses foreign residents whose category's items are missing", async () => {
    const noCard = foreignResident({
      residentCode: newResidentCode(),
      myNumber: newMyNumber(),
      foreigner: { category: "中長期在留者", becameResidentOn: "2026-01-01", status: "留学" },
    });
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [noCard] })),
      "persons.0.foreigner.periodOfStay",
      "persons.0.foreigner.periodExpiresOn",
      "persons.0.foreigner.residenceCardNumber",
    );
    const special = foreignResident({
      residentCode: newResidentCode(),
      myNumber: newMyNumber(),
      nationality: "KR",
      foreigner: { category: "特別永住者", becameResidentOn: "2026-01-01" },
    });
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ persons: [special] })),
      "persons.0.foreigner.specialPermanentResidentCertificateNumber",
    );
    await refusedWithoutWrites(
      () =>
        moveIn(
          ctx,
          moveInInput({
            persons: [
              foreignResident({
                residentCode: newResidentCode(),
                myNumber: newMyNumber(),
                honseki: { address: "a", headOfFamily: "b" },
              }),
            ],
          }),
        ),
      "persons.0.honseki",
    );
  });

  it("refuses a person who already has a living record here, and rolls back the ones entered before", async () => {
    const first = japanese();
    await moveIn(ctx, moveInInput({ persons: [first] }));
    const before = await counts(f.db);
    // The second person is the same as an existing record: found after the first one was inserted.
    await expectFields(
      moveIn(
        ctx,
        moveInInput({
          persons: [
            japanese({ relationship: "世帯主" }),
            { ...japanese({ relationship: "子" }), residentCode: first.residentCode },
          ],
        }),
      ),
      "persons.1.residentCode",
    );
    expect(await counts(f.db)).toEqual(before);
  });

  it("is idempotent under its request key", async () => {
    const input = moveInInput();
    const first = await moveIn(ctx, input);
    const before = await counts(f.db);
    const again = await moveIn(ctx, input);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await counts(f.db)).toEqual(before);
    await expect(moveIn(ctx, { ...input, movedInOn: "2026-11-21" })).rejects.toBeInstanceOf(
      RequestKeyReusedError,
    );
  });

  it("runs two identical requests at the same time once", async () => {
    const input = moveInInput();
    const [a, b] = await Promise.all([moveIn(ctx, input), moveIn(ctx, input)]);
    expect(a.changeIds).toEqual(b.changeIds);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
  });

  it("joins an existing household at its address; a joiner cannot be head", async () => {
    const { householdId, head } = await family(1);
    const r = await moveIn(
      ctx,
      moveInInput({
        household: { kind: "join", householdId },
        address: undefined,
        persons: [japanese({ relationship: "母" })],
      }),
    );
    const joined = (await getResident(f.db, r.residentIds[0]!))!;
    expect(joined.household_id).toBe(householdId);
    expect(joined.address_line).toBe((await getResident(f.db, head))!.address_line);
    await refusedWithoutWrites(
      () => moveIn(ctx, moveInInput({ household: { kind: "join", householdId }, persons: [japanese()] })),
      "persons",
    );
    await refusedWithoutWrites(
      () =>
        moveIn(
          ctx,
          moveInInput({
            household: { kind: "join", householdId },
            address: address(f.municipality, 5),
            persons: [japanese({ relationship: "母" })],
          }),
        ),
      "address",
    );
  });
});

describe("特例転入 (specialMoveIn)", () => {
  it("registers within the deadline", async () => {
    const r = await specialMoveIn(ctx, moveInInput({ requestKey: requestKey("special") }));
    expect((await loadHistory(f.db, r.residentIds[0]!))[0]!.kind).toBe("specialMoveIn");
  });

  it("refuses after 14 days from moving in or 30 days from the planned move-out", async () => {
    await refusedWithoutWrites(
      () =>
        specialMoveIn(
          ctx,
          moveInInput({
            movedInOn: "2026-11-01",
            certificate: {
              fromLgCode: OTHER_LG,
              fromAddress: "東京都江東区",
              plannedMoveOutDate: "2026-11-01",
            },
          }),
        ),
      "movedInOn",
    );
  });
});

describe("転居 (relocation)", () => {
  it("moves a whole household to a new address and keeps the old one as 従前の住所", async () => {
    const { head, spouse, child, householdId } = await family(2);
    const old = (await getResident(f.db, head))!.address_line;
    const r = await relocation(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse, child],
      movedOn: "2026-11-25",
      notifiedOn: TODAY,
      address: address(f.municipality, 3),
      household: { kind: "same" },
    });
    expect(r.changeIds).toHaveLength(3);
    const row = (await getResident(f.db, head))!;
    expect(row.household_id).toBe(householdId);
    expect(row.previous_address).toBe(old);
    expect(row.address_since).toBe("2026-11-25");
    expect(row.version).toBe(2);
  });

  it("moves part of a household into a new household; the head cannot leave the others behind", async () => {
    const { head, spouse, child } = await family(3);
    const base = {
      lgCode: lg,
      movedOn: "2026-11-25",
      notifiedOn: TODAY,
      address: address(f.municipality, 4),
    };
    await refusedWithoutWrites(
      () =>
        relocation(ctx, {
          ...base,
          requestKey: requestKey(),
          residentIds: [head],
          household: { kind: "new", headId: head, relationships: {} },
        }),
      "residentIds",
    );
    await refusedWithoutWrites(
      () =>
        relocation(ctx, {
          ...base,
          requestKey: requestKey(),
          residentIds: [child],
          household: { kind: "same" },
        }),
      "residentIds",
    );
    const r = await relocation(ctx, {
      ...base,
      requestKey: requestKey(),
      residentIds: [child],
      household: { kind: "new", headId: child, relationships: {} },
    });
    const moved = (await getResident(f.db, child))!;
    expect(moved.household_id).toBe(r.householdIds[0]);
    expect(moved.relationship).toBe("世帯主");
    expect((await getResident(f.db, spouse))!.relationship).toBe("妻");
  });

  it("refuses a relocation filed before moving", async () => {
    const { head, spouse, child } = await family(4);
    await refusedWithoutWrites(
      () =>
        relocation(ctx, {
          requestKey: requestKey(),
          lgCode: lg,
          residentIds: [head, spouse, child],
          movedOn: TODAY,
          notifiedOn: "2026-11-20",
          address: address(f.municipality, 6),
          household: { kind: "same" },
        }),
      "notifiedOn",
    );
  });
});

describe("転出 (moveOut → moveOutConfirm / moveOutCancel)", () => {
  it("schedules, refuses a relocation meanwhile, then is confirmed by the 転入通知 (system actor)", async () => {
    const { head, spouse, child } = await family(5);
    const ids = [head, spouse, child];
    await moveOut(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: ids,
      plannedOn: "2026-12-10",
      notifiedOn: TODAY,
      destination: { lgCode: OTHER_LG, address: "東京都江東区亀戸五丁目1番1号" },
    });
    const scheduled = (await getResident(f.db, head))!;
    expect(scheduled.status).toBe("moveOutScheduled");
    expect(scheduled.move_out).toEqual({
      plannedOn: "2026-12-10",
      destinationLgCode: OTHER_LG,
      destinationAddress: "東京都江東区亀戸五丁目1番1号",
    });

    const err = await relocation(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: ids,
      movedOn: TODAY,
      notifiedOn: TODAY,
      address: address(f.municipality, 7),
      household: { kind: "same" },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as IllegalTransitionError).currentState).toBe("moveOutScheduled");
    expect((err as IllegalTransitionError).message).toContain("転出確定");

    const later = context(f, { system: "juki-net" }, "2026-12-12");
    const confirmed = await moveOutConfirm(later, {
      requestKey: requestKey("notice"),
      lgCode: lg,
      residentIds: ids,
      movedOutOn: "2026-12-10",
    });
    const removed = (await getResident(f.db, head))!;
    expect(removed).toMatchObject({
      status: "removed",
      removal_reason: "movedOut",
      removed_on: "2026-12-10",
      retain_until: "2176-12-10",
    });
    const history = await loadHistory(f.db, head);
    expect(history.at(-1)).toMatchObject({ kind: "moveOutConfirm", systemActor: "juki-net", staffId: null });
    expect(confirmed.changeIds).toHaveLength(3);

    // A 除票 refuses every change but a cancellation.
    const refused = await moveOutCancel(later, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head],
      notifiedOn: "2026-12-12",
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IllegalTransitionError);
    expect((refused as IllegalTransitionError).allowed).toEqual(["changeCancellation"]);
    expect(await getResident(f.db, head)).toEqual(removed);
  });

  it("lets the head leave one member behind, who becomes the head when the 転出 is confirmed; not two", async () => {
    const { head, spouse, child } = await family(8);
    // Two would stay: the head cannot leave them without a 世帯変更 first.
    await expectFields(
      moveOut(ctx, {
        requestKey: requestKey(),
        lgCode: lg,
        residentIds: [head],
        plannedOn: "2026-12-10",
        notifiedOn: TODAY,
        destination: { lgCode: OTHER_LG, address: "東京都江東区亀戸五丁目1番1号" },
      }),
      "residentIds",
    );
    // One stays (the child): accepted.
    await moveOut(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse],
      plannedOn: "2026-12-10",
      notifiedOn: TODAY,
      destination: { lgCode: OTHER_LG, address: "東京都江東区亀戸五丁目1番1号" },
    });
    expect((await getResident(f.db, child))!.relationship).toBe("子");
    await moveOutConfirm(context(f, { system: "juki-net" }, "2026-12-12"), {
      requestKey: requestKey("notice"),
      lgCode: lg,
      residentIds: [head, spouse],
      movedOutOn: "2026-12-10",
    });
    const heir = (await getResident(f.db, child))!;
    expect(heir).toMatchObject({ status: "active", relationship: "世帯主" });
    const last = (await loadHistory(f.db, child)).at(-1);
    expect(last).toMatchObject({ kind: "householdChange", effectiveDate: "2026-12-10" });
  });

  it("can be cancelled while scheduled", async () => {
    const { head, spouse, child } = await family(6);
    await moveOut(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse, child],
      plannedOn: "2026-11-30",
      notifiedOn: TODAY,
      destination: { lgCode: OTHER_LG, address: "東京都江東区" },
    });
    await moveOutCancel(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse, child],
      notifiedOn: TODAY,
      reason: "転居先が変わったため",
    });
    const row = (await getResident(f.db, head))!;
    expect(row.status).toBe("active");
    expect(row.move_out).toBeNull();
  });

  it("refuses a head leaving members behind, a date too far ahead, and a move to its own municipality", async () => {
    const { head, spouse, child } = await family(7);
    const base = {
      lgCode: lg,
      notifiedOn: TODAY,
      destination: { lgCode: OTHER_LG, address: "東京都江東区" },
    };
    await refusedWithoutWrites(
      () => moveOut(ctx, { ...base, requestKey: requestKey(), residentIds: [head], plannedOn: "2026-11-30" }),
      "residentIds",
    );
    await refusedWithoutWrites(
      () =>
        moveOut(ctx, { ...base, requestKey: requestKey(), residentIds: [child], plannedOn: "2027-03-01" }),
      "plannedOn",
    );
    await refusedWithoutWrites(
      () =>
        moveOut(ctx, {
          ...base,
          requestKey: requestKey(),
          residentIds: [child],
          plannedOn: "2026-11-30",
          destination: { lgCode: lg, address: "同じ区" },
        }),
      "destination.lgCode",
    );
    await refusedWithoutWrites(
      () =>
        moveOut(ctx, {
          ...base,
          requestKey: requestKey(),
          residentIds: [spouse, "00000000-0000-4000-8000-000000000000"],
          plannedOn: "2026-11-30",
        }),
      "residentIds.1",
    );
  });
});

describe("出生・死亡 (birth, death)", () => {
  it("registers a newborn in a household with a new 住民票コード", async () => {
    const { householdId } = await family(8);
    const r = await birth(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      notifiedOn: TODAY,
      household: { kind: "join", householdId },
      child: {
        name: { family: "試験", given: "三郎", familyKana: "シケン", givenKana: "サブロウ" },
        birthDate: "2026-11-20",
        sex: "male",
        nationality: "JP",
        honseki: { address: "東京都墨田区吾妻橋一丁目1番地", headOfFamily: "試験一郎" },
        relationship: "子",
      },
    });
    const baby = (await getResident(f.db, r.residentIds[0]!))!;
    expect(isValidResidentCode(baby.resident_code)).toBe(true);
    expect(baby.my_number_cipher).toBeNull();
    expect(baby.household_id).toBe(householdId);
    expect(r.late).toBe(false);
  });

  it("flags a late 出生届 and refuses a birth in the future", async () => {
    const { householdId } = await family(9);
    const child = {
      name: { family: "試験", given: "四郎", familyKana: "シケン", givenKana: "シロウ" },
      birthDate: "2026-10-01",
      sex: "male" as const,
      nationality: "JP",
      honseki: { address: "東京都墨田区", headOfFamily: "試験一郎" },
      relationship: "子",
    };
    const late = await birth(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      notifiedOn: TODAY,
      household: { kind: "join", householdId },
      child,
    });
    expect(late.late).toBe(true);
    await refusedWithoutWrites(
      () =>
        birth(ctx, {
          requestKey: requestKey(),
          lgCode: lg,
          notifiedOn: TODAY,
          household: { kind: "join", householdId },
          child: { ...child, birthDate: "2026-11-27" },
        }),
      "child.birthDate",
    );
  });

  it("removes the deceased and asks for a new head when the head dies and two remain", async () => {
    const { head, spouse, child } = await family(10);
    const base = { lgCode: lg, residentId: head, diedOn: "2026-11-24", notifiedOn: TODAY };
    await refusedWithoutWrites(() => death(ctx, { ...base, requestKey: requestKey() }), "newHead");
    const r = await death(ctx, {
      ...base,
      requestKey: requestKey(),
      newHead: { residentId: spouse, relationships: { [child]: "子" } },
    });
    expect(r.changeIds).toHaveLength(2);
    expect((await getResident(f.db, head))!).toMatchObject({
      status: "removed",
      removal_reason: "deceased",
      retain_until: "2176-11-24",
    });
    expect((await getResident(f.db, spouse))!.relationship).toBe("世帯主");
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
    // the spouse's change is a 世帯変更 in the same request
    expect((await loadHistory(f.db, spouse)).at(-1)!.kind).toBe("householdChange");
  });
});

describe("世帯変更 (householdChange)", () => {
  it("changes the head, splits, merges and changes a 続柄", async () => {
    const { head, spouse, child, householdId } = await family(11);
    const base = { lgCode: lg, effectiveDate: TODAY, notifiedOn: TODAY };
    await refusedWithoutWrites(
      () =>
        householdChange(ctx, {
          ...base,
          requestKey: requestKey(),
          change: { type: "changeHead", householdId, newHeadId: spouse, relationships: { [head]: "夫" } },
        }),
      `change.relationships.${child}`,
    );
    await householdChange(ctx, {
      ...base,
      requestKey: requestKey(),
      change: {
        type: "changeHead",
        householdId,
        newHeadId: spouse,
        relationships: { [head]: "夫", [child]: "子" },
      },
    });
    expect((await getResident(f.db, spouse))!.relationship).toBe("世帯主");
    expect((await getResident(f.db, head))!.relationship).toBe("夫");

    const split = await householdChange(ctx, {
      ...base,
      requestKey: requestKey(),
      change: { type: "split", householdId, memberIds: [child], newHeadId: child, relationships: {} },
    });
    const newHousehold = split.householdIds[0]!;
    expect((await getResident(f.db, child))!.household_id).toBe(newHousehold);

    await householdChange(ctx, {
      ...base,
      requestKey: requestKey(),
      change: {
        type: "merge",
        fromHouseholdId: newHousehold,
        intoHouseholdId: householdId,
        relationships: { [child]: "子" },
      },
    });
    expect((await getResident(f.db, child))!.household_id).toBe(householdId);

    await householdChange(ctx, {
      ...base,
      requestKey: requestKey(),
      change: { type: "composition", householdId, relationships: { [child]: "長男" } },
    });
    expect((await getResident(f.db, child))!.relationship).toBe("長男");
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
  });

  it("refuses a split of the head without a new head for those who stay, and a merge across addresses", async () => {
    const a = await family(12);
    const b = await family(13);
    const base = { lgCode: lg, effectiveDate: TODAY, notifiedOn: TODAY };
    await refusedWithoutWrites(
      () =>
        householdChange(ctx, {
          ...base,
          requestKey: requestKey(),
          change: {
            type: "split",
            householdId: a.householdId,
            memberIds: [a.head],
            newHeadId: a.head,
            relationships: {},
          },
        }),
      "change.remaining",
    );
    await refusedWithoutWrites(
      () =>
        householdChange(ctx, {
          ...base,
          requestKey: requestKey(),
          change: {
            type: "merge",
            fromHouseholdId: b.householdId,
            intoHouseholdId: a.householdId,
            relationships: { [b.head]: "同居人", [b.spouse]: "同居人", [b.child]: "同居人" },
          },
        }),
      "change.intoHouseholdId",
    );
    await refusedWithoutWrites(
      () =>
        householdChange(ctx, {
          ...base,
          requestKey: requestKey(),
          change: { type: "composition", householdId: a.householdId, relationships: { [a.child]: "世帯主" } },
        }),
      `change.relationships.${a.child}`,
    );
  });
});

describe("国外転出・国外からの転入 (emigration, immigration)", () => {
  it("removes at once as of the departure date, which may lie ahead", async () => {
    const { head, spouse, child } = await family(14);
    await emigration(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse, child],
      departedOn: "2026-12-05",
      notifiedOn: TODAY,
      destinationAddress: "アメリカ合衆国ニューヨーク州",
    });
    expect((await getResident(f.db, child))!).toMatchObject({
      status: "removed",
      removal_reason: "emigrated",
      removed_on: "2026-12-05",
      retain_until: "2176-12-05",
    });
  });

  it("registers a foreign resident coming from abroad with a new 住民票コード", async () => {
    const r = await immigration(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      movedInOn: "2026-11-20",
      notifiedOn: TODAY,
      previousAddress: "アメリカ合衆国カリフォルニア州",
      persons: [foreignResident()],
      household: { kind: "new" },
      address: address(f.municipality, 15),
    });
    const row = (await getResident(f.db, r.residentIds[0]!))!;
    expect(isValidResidentCode(row.resident_code)).toBe(true);
    expect(row.honseki).toBeNull();
    expect(row.foreigner).toMatchObject({ category: "中長期在留者", residenceCardNumber: "AB12345678CD" });
  });
});

describe("職権記載・職権消除・職権修正 with two people", () => {
  it("runs only with a different supervisor's approval, once", async () => {
    const entry = await approved(
      () =>
        requestExOfficioEntry(ctx, {
          lgCode: lg,
          effectiveDate: "2026-11-01",
          reason: "実態調査により居住を確認",
          persons: [japanese()],
          household: { kind: "new" },
          address: address(f.municipality, 16),
        }),
      (approvalId) => exOfficioEntry(ctx, { requestKey: requestKey(), lgCode: lg, approvalId }),
    );
    const id = entry.residentIds[0]!;
    const change = (await loadHistory(f.db, id))[0]!;
    expect(change).toMatchObject({
      kind: "exOfficioEntry",
      origin: "exOfficio",
      notifiedOn: null,
      approvedBy: f.supervisor.staffId,
    });
    expect(change.approvalId).toBe(entry.approvalId);

    const corrected = await approved(
      () =>
        requestExOfficioCorrection(ctx, {
          lgCode: lg,
          residentId: id,
          reason: "氏名の誤記",
          corrections: {
            name: { family: "髙橋", given: "太郎", familyKana: "タカハシ", givenKana: "タロウ" },
          },
        }),
      (approvalId) => exOfficioCorrection(ctx, { requestKey: requestKey(), lgCode: lg, approvalId }),
    );
    expect(corrected.changeIds).toHaveLength(1);
    const row = (await getResident(f.db, id))!;
    expect(row.family_name).toBe("髙橋");
    expect(row.name_search).toBe("高橋太郎");

    // an approval is used once
    const approvalId = corrected.approvalId!;
    await expect(
      exOfficioCorrection(ctx, { requestKey: requestKey(), lgCode: lg, approvalId }),
    ).rejects.toThrow(/実行済み/);

    await approved(
      () =>
        requestExOfficioRemoval(ctx, {
          lgCode: lg,
          residentIds: [id],
          effectiveDate: TODAY,
          reason: "居住実態なし",
        }),
      (a) => exOfficioRemoval(ctx, { requestKey: requestKey(), lgCode: lg, approvalId: a }),
    );
    expect((await getResident(f.db, id))!).toMatchObject({
      status: "removed",
      removal_reason: "exOfficioRemoved",
    });
  });

  it("refuses a request whose input is wrong before anyone approves it", async () => {
    await expectFields(
      requestExOfficioCorrection(ctx, {
        lgCode: lg,
        residentId: "00000000-0000-4000-8000-000000000000",
        reason: "",
        corrections: { sex: "female" },
      }),
      "reason",
    );
    const { head } = await family(17);
    await expectFields(
      requestExOfficioCorrection(ctx, {
        lgCode: lg,
        residentId: head,
        reason: "国籍の誤り",
        corrections: { nationality: "US" },
      }),
      "corrections.foreigner",
    );
  });

  it("refuses the requester approving their own request", async () => {
    const sv = context(f, f.supervisor, TODAY);
    const { child } = await family(18);
    const approvalId = await requestExOfficioCorrection(sv, {
      lgCode: lg,
      residentId: child,
      reason: "生年月日の誤記",
      corrections: { birthDate: "2015-06-02" },
    });
    await expect(
      f.db.transaction().execute((trx) => approve(trx, { approvalId, approver: f.supervisor })),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      exOfficioCorrection(sv, { requestKey: requestKey(), lgCode: lg, approvalId }),
    ).rejects.toThrow(/承認待ち/);
  });
});

describe("異動取消 (changeCancellation)", () => {
  it("undoes a 転入 (the record goes back to none) and a 死亡 with its change of head", async () => {
    const r = await moveIn(ctx, moveInInput());
    const id = r.residentIds[0]!;
    await approved(
      () => requestChangeCancellation(ctx, { lgCode: lg, changeId: r.changeIds[0]!, reason: "二重登録" }),
      (approvalId) => changeCancellation(ctx, { requestKey: requestKey(), lgCode: lg, approvalId }),
    );
    expect((await getResident(f.db, id))!.status).toBe("none");

    const { head, spouse, child } = await family(19);
    const d = await death(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentId: head,
      diedOn: TODAY,
      notifiedOn: TODAY,
      newHead: { residentId: spouse, relationships: { [child]: "子" } },
    });
    const before = (await getResident(f.db, spouse))!;
    expect(before.relationship).toBe("世帯主");
    await approved(
      () => requestChangeCancellation(ctx, { lgCode: lg, changeId: d.changeIds[0]!, reason: "死亡届の誤り" }),
      (approvalId) => changeCancellation(ctx, { requestKey: requestKey(), lgCode: lg, approvalId }),
    );
    expect((await getResident(f.db, head))!).toMatchObject({
      status: "active",
      relationship: "世帯主",
      removed_on: null,
      retain_until: null,
    });
    expect((await getResident(f.db, spouse))!.relationship).toBe("妻");
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
  });

  it("refuses to undo a change that later changes built on, and to undo a cancellation", async () => {
    const { head, spouse, child } = await family(20);
    const first = (await loadHistory(f.db, head))[0]!;
    await relocation(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [head, spouse, child],
      movedOn: TODAY,
      notifiedOn: TODAY,
      address: address(f.municipality, 21),
      household: { kind: "same" },
    });
    await expectFields(
      requestChangeCancellation(ctx, { lgCode: lg, changeId: first.id, reason: "誤り" }),
      "changeId",
    );
  });
});

describe("authorization", () => {
  it("refuses an auditor and staff of another municipality, and audits the refusal", async () => {
    const auditorCtx = context(f, f.auditor, TODAY);
    const before = await sql<{
      n: number;
    }>`select count(*)::int as n from audit.log where action = 'authorization.refused'`.execute(f.db);
    await expect(moveIn(auditorCtx, moveInInput())).rejects.toBeInstanceOf(ForbiddenError);
    const stranger = context(f, { staffId: "other-clerk", lgCode: OTHER_LG, roles: ["clerk"] }, TODAY);
    await expect(moveIn(stranger, moveInInput())).rejects.toBeInstanceOf(ForbiddenError);
    const after = await sql<{
      n: number;
    }>`select count(*)::int as n from audit.log where action = 'authorization.refused'`.execute(f.db);
    expect(after.rows[0]!.n - before.rows[0]!.n).toBe(2);
  });
});

describe("one transaction", () => {
  it("a rollback of the surrounding transaction leaves no record, history, audit or outbox row", async () => {
    const before = await counts(f.db);
    await expect(
      f.db.transaction().execute(async (trx) => {
        await moveIn({ ...ctx, db: trx }, moveInInput());
        throw new Error("the caller fails after the command");
      }),
    ).rejects.toThrow("the caller fails");
    expect(await counts(f.db)).toEqual(before);
  });

  it("refuses a stale version (optimistic concurrency)", async () => {
    const { head, spouse, child } = await family(22);
    await expect(
      moveOut(ctx, {
        requestKey: requestKey(),
        lgCode: lg,
        residentIds: [head, spouse, child],
        plannedOn: "2026-11-30",
        notifiedOn: TODAY,
        destination: { lgCode: OTHER_LG, address: "東京都江東区" },
        expectedVersions: { [head]: 7 },
      }),
    ).rejects.toBeInstanceOf(ConcurrentModificationError);
  });
});

describe("本人確認情報 (identity information)", () => {
  it("is built as of its change, with the 個人番号, and the read is audited", async () => {
    const person = japanese({ given: "確認", givenKana: "カクニン" });
    const r = await moveIn(ctx, moveInInput({ persons: [person] }));
    const id = r.residentIds[0]!;
    await relocation(ctx, {
      requestKey: requestKey(),
      lgCode: lg,
      residentIds: [id],
      movedOn: TODAY,
      notifiedOn: TODAY,
      address: address(f.municipality, 23),
      household: { kind: "same" },
    });
    const [first, second] = await loadHistory(f.db, id);
    const info = await f.db
      .transaction()
      .execute((trx) => buildIdentityInfo(trx, { changeId: first!.id, residentId: id }, f.keys));
    expect(info).toMatchObject({
      residentCode: person.residentCode,
      myNumber: person.myNumber,
      name: { family: "試験", given: "確認" },
      birthDate: person.birthDate,
      sex: "male",
      sequence: 1,
      change: { kind: "moveIn", reason: "転入", effectiveDate: "2026-11-20" },
    });
    expect(info.address.line).toContain("一丁目10番1号");
    const now = await f.db
      .transaction()
      .execute((trx) => buildIdentityInfo(trx, { changeId: second!.id, residentId: id }, f.keys));
    expect(now.sequence).toBe(2);
    expect(now.change.reason).toBe("転居");
    expect(now.address.line).not.toBe(info.address.line);
    const reads = await sql<{ n: number }>`
      select count(*)::int as n from audit.log where action = 'myNumber.read' and subject = ${id}`.execute(
      f.db,
    );
    expect(reads.rows[0]!.n).toBe(2);
  });
});

describe("history", () => {
  it("replays to every stored record after all of the above", async () => {
    expect(await replayMismatches(f.db)).toEqual([]);
    expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
  });

  it("cannot be changed or deleted by the application's role", async () => {
    await expect(sql`update register.resident_change set reason = 'x'`.execute(f.db)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql`delete from register.resident_change`.execute(f.db)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql`delete from register.resident`.execute(f.db)).rejects.toThrow(/permission denied/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as approvalsLoader } from "../../app/routes/approvals._index.js";
import { action as approvalAction, loader as approvalLoader } from "../../app/routes/approvals.$id.js";
import { action as birthAction, loader as birthLoader } from "../../app/routes/changes.birth.js";
import { action as cancellationAction } from "../../app/routes/changes.cancellation.js";
import { action as deathAction } from "../../app/routes/changes.death.js";
import { loader as doneLoader } from "../../app/routes/changes.done.$key.js";
import { action as emigrationAction } from "../../app/routes/changes.emigration.js";
import { action as correctionAction } from "../../app/routes/changes.ex-officio-correction.js";
import { action as entryAction } from "../../app/routes/changes.ex-officio-entry.js";
import { action as removalAction } from "../../app/routes/changes.ex-officio-removal.js";
import { action as householdAction } from "../../app/routes/changes.household.js";
import { action as immigrationAction } from "../../app/routes/changes.immigration.js";
import { action as moveInAction } from "../../app/routes/changes.move-in.js";
import { loader as requestedLoader } from "../../app/routes/changes.requested.$id.js";
import { moveIn } from "../../register/commands/index.js";
import { getResident, loadHistory } from "../../register/records.queries.js";
import { address, japanese, newMyNumber, newResidentCode } from "../../register/test-support.js";
import { createTestBackoffice, loginAs, request, run, type TestBackoffice } from "../../test-support.js";
import { approvalRequestKey } from "./approvals.server.js";
import { flat, personFields } from "./test-support.js";

/**
 * The counter forms end to end: route actions and loaders against a real database (the test
 * harness's PostgreSQL), through the staff session and its CSRF token.
 */

let office: TestBackoffice;
let lg: string;
let otherLg: string;
const staff = { clerk: "", supervisor: "", auditor: "", otherClerk: "", otherSupervisor: "" };
const TODAY = "2026-11-26";

type Action = (args: {
  request: Request;
  context: never;
  params: Record<string, string>;
}) => Promise<unknown>;

async function post(
  fn: Action,
  path: string,
  who: string,
  fields: Record<string, unknown>,
  opts: { params?: Record<string, string>; csrf?: boolean } = {},
): Promise<Response | { status?: string; error?: Record<string, string[]> }> {
  const session = await loginAs(office, who);
  const form = flat({ ...(opts.csrf === false ? {} : { csrf: session.csrf }), ...fields }) as Record<
    string,
    string
  >;
  const r = await run(() =>
    fn({
      request: request(office, path, { cookie: session.cookie, form }),
      context: office.context as never,
      params: opts.params ?? {},
    }),
  );
  // Remix's data() wraps an error reply: unwrap to what the page receives.
  if (r && typeof r === "object" && "data" in r && "init" in r) {
    const d = r as { data: unknown; init: { status?: number } | null };
    return { ...(d.data as object), httpStatus: d.init?.status } as never;
  }
  return r as never;
}

async function get(fn: Action, path: string, who: string, params: Record<string, string> = {}) {
  const session = await loginAs(office, who);
  return run(() =>
    fn({
      request: request(office, path, { cookie: session.cookie }),
      context: office.context as never,
      params,
    }),
  );
}

function location(r: unknown): string {
  expect(r, JSON.stringify(r)).toBeInstanceOf(Response);
  const res = r as Response;
  expect(res.status, `status of ${res.headers.get("location")}`).toBe(302);
  return res.headers.get("location") ?? "";
}

function status(r: unknown): number {
  return r instanceof Response ? r.status : ((r as { httpStatus?: number }).httpStatus ?? 200);
}

function fieldErrors(r: unknown): Record<string, string[]> {
  expect(r).not.toBeInstanceOf(Response);
  return ((r as { error?: Record<string, string[]> }).error ?? {}) as Record<string, string[]>;
}

const ctxFor = (staffId: string) => {
  const s = office.world.staff.find((x) => x.id === staffId)!;
  return {
    db: office.db,
    keys: office.services.keys,
    actor: { staffId: s.id, lgCode: s.lgCode, roles: [...s.roles] },
    today: TODAY,
  };
};

/** A family of three moved in through the register itself (head, spouse, child). */
async function family(which: number) {
  const m = office.world.municipalities.find((x) => x.lgCode === lg)!;
  const persons = [
    japanese({ given: "一郎", givenKana: "イチロウ" }),
    japanese({ given: "花子", givenKana: "ハナコ", sex: "female", relationship: "妻" }),
    japanese({ given: "次郎", givenKana: "ジロウ", birthDate: "2015-06-01", relationship: "子" }),
  ];
  const r = await moveIn(ctxFor(staff.clerk), {
    requestKey: `setup-${which}-${Date.now()}`,
    lgCode: lg,
    movedInOn: "2026-11-01",
    notifiedOn: "2026-11-02",
    certificate: {
      fromLgCode: "131083",
      fromAddress: "東京都江東区亀戸一丁目1番1号",
      plannedMoveOutDate: "2026-11-01",
    },
    persons,
    household: { kind: "new" },
    address: address(m, which),
  });
  const [head, spouse, child] = r.residentIds as [string, string, string];
  return {
    head: { id: head, code: persons[0]!.residentCode! },
    spouse: { id: spouse, code: persons[1]!.residentCode!, myNumber: persons[1]!.myNumber! },
    child: { id: child, code: persons[2]!.residentCode! },
  };
}

beforeAll(async () => {
  office = await createTestBackoffice({ now: new Date(`${TODAY}T01:00:00Z`) });
  const only = (lgCode: string, role: string) =>
    office.world.staff.find((s) => s.lgCode === lgCode && s.roles.length === 1 && s.roles[0] === role)?.id;
  const hosted = office.world.municipalities.filter(
    (m) =>
      m.hosted &&
      m.towns.filter((t) => t.chomeMax > 0).length >= 2 &&
      only(m.lgCode, "clerk") &&
      only(m.lgCode, "supervisor"),
  );
  if (hosted.length < 2)
    throw new Error("the world file needs two hosted municipalities with a clerk and a supervisor");
  lg = hosted[0]!.lgCode;
  otherLg = hosted[1]!.lgCode;
  staff.clerk = only(lg, "clerk")!;
  staff.supervisor = only(lg, "supervisor")!;
  staff.auditor = only(lg, "auditor") ?? "";
  staff.otherClerk = only(otherLg, "clerk")!;
  staff.otherSupervisor = only(otherLg, "supervisor")!;
});
afterAll(async () => {
  await office?.close();
});

describe("出生届", () => {
  it("shows the form with a fresh request key and the municipality's towns", async () => {
    const a = (await get(birthLoader as Action, "/changes/birth", staff.clerk)) as {
      requestKey: string;
      towns: unknown[];
    };
    const b = (await get(birthLoader as Action, "/changes/birth", staff.clerk)) as { requestKey: string };
    expect(a.requestKey).toMatch(/^counter:/);
    expect(a.requestKey).not.toBe(b.requestKey);
    expect(a.towns.length).toBeGreaterThan(0);
  });

  it("enters a child in a parent's household; a late notification is accepted and flagged", async () => {
    const f = await family(1);
    const key = `counter:birth-${Date.now()}`;
    const r = await post(birthAction as Action, "/changes/birth", staff.clerk, {
      requestKey: key,
      notifiedOn: TODAY,
      child: personFields({
        birthDate: "2026-11-01",
        relationship: "子",
        name: { family: "試験", given: "三郎", familyKana: "シケン", givenKana: "サブロウ" },
      }),
      household: { kind: "join", memberCode: f.head.code },
    });
    expect(location(r)).toBe(`/changes/done/${encodeURIComponent(key)}`);
    const done = (await get(doneLoader as Action, "/changes/done", staff.clerk, { key })) as {
      late: boolean;
      changes: {
        kind: string;
        late: boolean;
        residentId: string;
        lines: { field: string; after: string }[];
      }[];
    };
    expect(done.late).toBe(true);
    expect(done.changes).toHaveLength(1);
    expect(done.changes[0]!.kind).toBe("birth");
    expect(done.changes[0]!.lines.find((l) => l.field === "givenName")?.after).toBe("三郎");
    const child = await getResident(office.db, done.changes[0]!.residentId);
    expect(child?.household_id).toBe((await getResident(office.db, f.head.id))?.household_id);
  });

  it("shows the register's refusal on the field (a 個人番号 already recorded) and writes nothing", async () => {
    const f = await family(2);
    const before = await office.db
      .selectFrom("register.resident")
      .select(({ fn }) => fn.countAll().as("n"))
      .executeTakeFirst();
    const r = await post(birthAction as Action, "/changes/birth", staff.clerk, {
      requestKey: `counter:birth-dup-${Date.now()}`,
      notifiedOn: TODAY,
      child: personFields({ birthDate: "2026-11-20", relationship: "子", myNumber: f.spouse.myNumber }),
      household: { kind: "join", memberCode: f.head.code },
    });
    expect(status(r)).toBe(400);
    expect(fieldErrors(r)["child.myNumber"]).toEqual(["この個人番号の方はすでに住民記録があります"]);
    const after = await office.db
      .selectFrom("register.resident")
      .select(({ fn }) => fn.countAll().as("n"))
      .executeTakeFirst();
    expect(after).toEqual(before);
  });

  it("refuses a submit without the CSRF token (403) and an auditor (403)", async () => {
    const f = await family(3);
    const fields = {
      requestKey: `counter:birth-csrf-${Date.now()}`,
      notifiedOn: TODAY,
      child: personFields({ birthDate: "2026-11-20", relationship: "子" }),
      household: { kind: "join", memberCode: f.head.code },
    };
    expect(
      status(await post(birthAction as Action, "/changes/birth", staff.clerk, fields, { csrf: false })),
    ).toBe(403);
    if (staff.auditor) {
      expect(status(await post(birthAction as Action, "/changes/birth", staff.auditor, fields))).toBe(403);
      expect(status(await get(birthLoader as Action, "/changes/birth", staff.auditor))).toBe(403);
    }
    expect(await loadHistory(office.db, f.head.id)).toHaveLength(1);
  });
});

describe("死亡届", () => {
  it("removes the record; the same submit again has one effect and the same result", async () => {
    const f = await family(4);
    const key = `counter:death-${Date.now()}`;
    const fields = { requestKey: key, residentCode: f.child.code, diedOn: "2026-11-25", notifiedOn: TODAY };
    const first = await post(deathAction as Action, "/changes/death", staff.clerk, fields);
    const second = await post(deathAction as Action, "/changes/death", staff.clerk, fields);
    expect(location(first)).toBe(`/changes/done/${encodeURIComponent(key)}`);
    expect(location(second)).toBe(location(first));
    expect((await getResident(office.db, f.child.id))?.status).toBe("removed");
    expect((await loadHistory(office.db, f.child.id)).map((c) => c.kind)).toEqual(["moveIn", "death"]);
  });

  it("a 台東区 clerk cannot change a 墨田区 record: the code is not found there, nothing changes", async () => {
    const f = await family(5);
    const r = await post(deathAction as Action, "/changes/death", staff.otherClerk, {
      requestKey: `counter:death-other-${Date.now()}`,
      residentCode: f.child.code,
      diedOn: "2026-11-25",
      notifiedOn: TODAY,
    });
    expect(status(r)).toBe(400);
    expect(fieldErrors(r).residentCode?.[0]).toMatch(/この市区町村の住民記録にありません/);
    expect((await getResident(office.db, f.child.id))?.status).toBe("active");
  });
});

describe("世帯変更届", () => {
  it("changes the head; the others' 続柄 are rewritten", async () => {
    const f = await family(6);
    const key = `counter:hh-${Date.now()}`;
    const r = await post(householdAction as Action, "/changes/household", staff.clerk, {
      requestKey: key,
      type: "changeHead",
      effectiveDate: "2026-11-25",
      notifiedOn: TODAY,
      householdCode: f.head.code,
      newHeadCode: f.spouse.code,
      relationships: [
        { residentCode: f.head.code, relationship: "夫" },
        { residentCode: f.child.code, relationship: "子" },
      ],
    });
    expect(location(r)).toBe(`/changes/done/${encodeURIComponent(key)}`);
    expect((await getResident(office.db, f.spouse.id))?.relationship).toBe("世帯主");
    expect((await getResident(office.db, f.head.id))?.relationship).toBe("夫");
  });

  it("puts the register's per-resident errors on the rows and on the list", async () => {
    const f = await family(7);
    const g = await family(8);
    const r = await post(householdAction as Action, "/changes/household", staff.clerk, {
      requestKey: `counter:hh-bad-${Date.now()}`,
      type: "changeHead",
      effectiveDate: "2026-11-25",
      notifiedOn: TODAY,
      householdCode: f.head.code,
      newHeadCode: f.spouse.code,
      relationships: [
        { residentCode: f.head.code, relationship: "夫" },
        { residentCode: g.child.code, relationship: "子" },
      ],
    });
    expect(status(r)).toBe(400);
    const e = fieldErrors(r);
    // f's child has no 続柄 on the form: the error is the list's; g's child is not of this household.
    expect(e.relationships).toEqual(["新しい世帯主との続柄を指定してください"]);
    expect(e["relationships[1].relationship"]).toEqual(["この世帯変更の対象の方ではありません"]);
    expect((await getResident(office.db, f.head.id))?.relationship).toBe("世帯主");
  });
});

describe("転入届（転出証明書）", () => {
  const m = () => office.world.municipalities.find((x) => x.lgCode === lg)!;
  const form = (code: string, key: string) => ({
    requestKey: key,
    movedInOn: "2026-11-20",
    notifiedOn: TODAY,
    certificate: {
      fromLgCode: "131083",
      fromAddress: "東京都江東区亀戸一丁目1番1号",
      plannedMoveOutDate: "2026-11-20",
    },
    household: { kind: "new" },
    address: { ...address(m(), 9), lot: 3 },
    persons: [personFields({ residentCode: code, myNumber: newMyNumber() })],
  });

  it("enters the household; on time, not flagged", async () => {
    const key = `counter:movein-${Date.now()}`;
    const r = await post(
      moveInAction as Action,
      "/changes/move-in",
      staff.clerk,
      form(newResidentCode(), key),
    );
    expect(location(r)).toBe(`/changes/done/${encodeURIComponent(key)}`);
    const done = (await get(doneLoader as Action, "/changes/done", staff.clerk, { key })) as {
      late: boolean;
      changes: unknown[];
    };
    expect(done.late).toBe(false);
    expect(done.changes).toHaveLength(1);
  });

  it("refuses a 住民票コード already recorded here, on that person's field", async () => {
    const f = await family(10);
    const r = await post(
      moveInAction as Action,
      "/changes/move-in",
      staff.clerk,
      form(f.head.code, `counter:movein-dup-${Date.now()}`),
    );
    expect(status(r)).toBe(400);
    expect(fieldErrors(r)["persons[0].residentCode"]).toEqual([
      "この住民票コードの方はすでに住民記録があります",
    ]);
  });
});

describe("職権修正 with a supervisor's approval", () => {
  it("clerk requests (once, however often sent); a clerk cannot approve; the supervisor approves and the change runs once", async () => {
    const f = await family(11);
    const key = `counter:corr-${Date.now()}`;
    const fields = {
      requestKey: key,
      residentCode: f.head.code,
      reason: "戸籍照会により氏の誤記を確認",
      corrections: { name: { family: "髙橋", given: "一郎", familyKana: "タカハシ", givenKana: "イチロウ" } },
    };
    const first = location(
      await post(correctionAction as Action, "/changes/ex-officio-correction", staff.clerk, fields),
    );
    const again = location(
      await post(correctionAction as Action, "/changes/ex-officio-correction", staff.clerk, fields),
    );
    expect(first).toMatch(/^\/changes\/requested\/[0-9a-f-]{36}$/);
    expect(again).toBe(first);
    const approvalId = first.split("/").pop()!;
    expect((await getResident(office.db, f.head.id))?.family_name).toBe("試験");

    // The clerk sees their request waiting; the queue is the supervisor's alone.
    const mine = (await get(requestedLoader as Action, "/changes/requested", staff.clerk, {
      id: approvalId,
    })) as { status: string };
    expect(mine.status).toBe("pending");
    const clerkView = (await get(approvalsLoader as Action, "/approvals", staff.clerk)) as {
      pending: unknown;
      mine: { id: string }[];
    };
    expect(clerkView.pending).toBeNull();
    expect(clerkView.mine.map((m) => m.id)).toContain(approvalId);
    expect(status(await get(approvalLoader as Action, "/approvals/x", staff.clerk, { id: approvalId }))).toBe(
      403,
    );
    const queue = (await get(approvalsLoader as Action, "/approvals", staff.supervisor)) as {
      pending: { id: string }[];
    };
    expect(queue.pending.map((p) => p.id)).toContain(approvalId);
    const detail = (await get(approvalLoader as Action, "/approvals/x", staff.supervisor, {
      id: approvalId,
    })) as {
      summary: { label: string; value: string }[];
    };
    expect(detail.summary.some((row) => row.value === "髙橋")).toBe(true);

    // A clerk posting an approval: 403, and the record is unchanged.
    const byClerk = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.clerk,
      { decision: "approve" },
      { params: { id: approvalId } },
    );
    expect(status(byClerk)).toBe(403);
    // Another municipality's supervisor does not even see it.
    expect(
      status(await get(approvalLoader as Action, "/approvals/x", staff.otherSupervisor, { id: approvalId })),
    ).toBe(404);

    const approved = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.supervisor,
      { decision: "approve" },
      { params: { id: approvalId } },
    );
    const doneUrl = `/changes/done/${encodeURIComponent(approvalRequestKey(approvalId))}`;
    expect(location(approved)).toBe(doneUrl);
    const twice = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.supervisor,
      { decision: "approve" },
      { params: { id: approvalId } },
    );
    expect(location(twice)).toBe(doneUrl);
    const row = await getResident(office.db, f.head.id);
    expect(row?.family_name).toBe("髙橋");
    const history = await loadHistory(office.db, f.head.id);
    expect(history.map((c) => c.kind)).toEqual(["moveIn", "exOfficioCorrection"]);
    expect(history[1]!.approvedBy).toBe(staff.supervisor);
    // The approver's summary is erased once decided.
    const after = (await get(approvalLoader as Action, "/approvals/x", staff.supervisor, {
      id: approvalId,
    })) as {
      summary: unknown;
      status: string;
    };
    expect(after.status).toBe("consumed");
    expect(after.summary).toBeNull();
  });

  it("the requester cannot approve their own request; a rejection needs a reason", async () => {
    const f = await family(12);
    const fields = {
      requestKey: `counter:corr-own-${Date.now()}`,
      residentCode: f.child.code,
      reason: "誤記",
      corrections: { birthDate: "2015-06-02" },
    };
    const approvalId = location(
      await post(correctionAction as Action, "/changes/ex-officio-correction", staff.supervisor, fields),
    )
      .split("/")
      .pop()!;
    const own = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.supervisor,
      { decision: "approve" },
      { params: { id: approvalId } },
    );
    expect(status(own)).toBe(403);
    expect(await (own as Response).text()).toMatch(/自分が申請したもの/);
    expect((await getResident(office.db, f.child.id))?.birth_date).toBe("2015-06-01");
  });

  it("a supervisor rejects another's request with a reason; nothing changes", async () => {
    const f = await family(13);
    const approvalId = location(
      await post(correctionAction as Action, "/changes/ex-officio-correction", staff.clerk, {
        requestKey: `counter:corr-rej-${Date.now()}`,
        residentCode: f.child.code,
        reason: "誤記",
        corrections: { sex: "female" },
      }),
    )
      .split("/")
      .pop()!;
    const noReason = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.supervisor,
      { decision: "reject" },
      { params: { id: approvalId } },
    );
    expect(status(noReason)).toBe(400);
    expect(fieldErrors(noReason).reason).toEqual(["却下の理由を入力してください"]);
    const rejected = await post(
      approvalAction as Action,
      "/approvals/x",
      staff.supervisor,
      { decision: "reject", reason: "根拠資料が不足" },
      { params: { id: approvalId } },
    );
    expect(location(rejected)).toBe("/approvals");
    expect((await getResident(office.db, f.child.id))?.sex).toBe("male");
    const mine = (await get(requestedLoader as Action, "/changes/requested", staff.clerk, {
      id: approvalId,
    })) as { status: string };
    expect(mine.status).toBe("rejected");
  });
});

describe("the other kinds, through their pages", () => {
  const approveAs = async (approvalId: string) =>
    location(
      await post(
        approvalAction as Action,
        "/approvals/x",
        staff.supervisor,
        { decision: "approve" },
        { params: { id: approvalId } },
      ),
    );

  it("国外転出: the whole household leaves; records become 除票", async () => {
    const f = await family(14);
    const r = await post(emigrationAction as Action, "/changes/emigration", staff.clerk, {
      requestKey: `counter:emig-${Date.now()}`,
      residentCodes: [f.head.code, f.spouse.code, f.child.code],
      departedOn: "2026-11-25",
      notifiedOn: TODAY,
      destinationAddress: "アメリカ合衆国 シアトル市",
    });
    expect(location(r)).toMatch(/^\/changes\/done\//);
    expect((await getResident(office.db, f.head.id))?.status).toBe("removed");
  });

  it("国外転出: the head cannot leave the others behind (the register's rule, on the list)", async () => {
    const f = await family(15);
    const r = await post(emigrationAction as Action, "/changes/emigration", staff.clerk, {
      requestKey: `counter:emig-head-${Date.now()}`,
      residentCodes: [f.head.code],
      departedOn: "2026-11-25",
      notifiedOn: TODAY,
      destinationAddress: "アメリカ合衆国 シアトル市",
    });
    expect(status(r)).toBe(400);
    expect(fieldErrors(r).residentCodes?.[0]).toMatch(/世帯主が世帯員を残して/);
  });

  it("国外からの転入: a foreign resident with the items of the category", async () => {
    const m = office.world.municipalities.find((x) => x.lgCode === lg)!;
    const r = await post(immigrationAction as Action, "/changes/immigration", staff.clerk, {
      requestKey: `counter:immi-${Date.now()}`,
      movedInOn: "2026-11-20",
      notifiedOn: TODAY,
      previousAddress: "ベトナム ハノイ市",
      household: { kind: "new" },
      address: address(m, 16),
      persons: [
        personFields({
          name: { family: "NGUYEN", given: "VAN BINH", familyKana: "グエン", givenKana: "ヴァン ビン" },
          nationality: "VN",
          honseki: undefined,
          foreigner: {
            category: "中長期在留者",
            becameResidentOn: "2026-11-20",
            status: "技術・人文知識・国際業務",
            periodOfStay: "3年",
            periodExpiresOn: "2029-11-20",
            residenceCardNumber: "AB12345678CD",
          },
        }),
      ],
    });
    expect(location(r)).toMatch(/^\/changes\/done\//);
  });

  it("職権記載 and 職権消除 run only once a supervisor approves", async () => {
    const m = office.world.municipalities.find((x) => x.lgCode === lg)!;
    const code = newResidentCode();
    const entryId = location(
      await post(entryAction as Action, "/changes/ex-officio-entry", staff.clerk, {
        requestKey: `counter:entry-${Date.now()}`,
        effectiveDate: "2026-11-01",
        reason: "実態調査により居住を確認",
        household: { kind: "new" },
        address: address(m, 17),
        persons: [personFields({ residentCode: code })],
      }),
    )
      .split("/")
      .pop()!;
    const done = await approveAs(entryId);
    expect(done).toMatch(/^\/changes\/done\//);
    const result = (await get(doneLoader as Action, "/changes/done", staff.clerk, {
      key: decodeURIComponent(done.split("/").pop()!),
    })) as { residentIds: string[] };
    const [id] = result.residentIds as [string];
    expect((await getResident(office.db, id))?.status).toBe("active");

    const removalId = location(
      await post(removalAction as Action, "/changes/ex-officio-removal", staff.clerk, {
        requestKey: `counter:removal-${Date.now()}`,
        residentCodes: [code],
        effectiveDate: TODAY,
        reason: "実態調査により居住の実態なし",
      }),
    )
      .split("/")
      .pop()!;
    expect((await getResident(office.db, id))?.status).toBe("active");
    await approveAs(removalId);
    expect((await getResident(office.db, id))?.status).toBe("removed");
  });

  it("異動取消 of a 死亡 entered in error, approved: the record is current again", async () => {
    const f = await family(18);
    location(
      await post(deathAction as Action, "/changes/death", staff.clerk, {
        requestKey: `counter:death-err-${Date.now()}`,
        residentCode: f.child.code,
        diedOn: "2026-11-25",
        notifiedOn: TODAY,
      }),
    );
    expect((await getResident(office.db, f.child.id))?.status).toBe("removed");
    const approvalId = location(
      await post(cancellationAction as Action, "/changes/cancellation", staff.clerk, {
        requestKey: `counter:cancel-${Date.now()}`,
        residentCode: f.child.code,
        reason: "別人の死亡届を誤って入力",
      }),
    )
      .split("/")
      .pop()!;
    await approveAs(approvalId);
    expect((await getResident(office.db, f.child.id))?.status).toBe("active");
    expect((await loadHistory(office.db, f.child.id)).map((c) => c.kind)).toEqual([
      "moveIn",
      "death",
      "changeCancellation",
    ]);
  });
});

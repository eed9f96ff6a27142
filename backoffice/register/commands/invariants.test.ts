import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "../authorization.js";
import { RegisterValidationError } from "../errors.js";
import { IllegalTransitionError } from "../lifecycle.js";
import { HEAD } from "../record.js";
import { latestChanges } from "../records.queries.js";
import {
  address,
  context,
  counts,
  householdsBreakingHeadRule,
  japanese,
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
  householdChange,
  moveIn,
  moveOut,
  moveOutCancel,
  moveOutConfirm,
  relocation,
  requestChangeCancellation,
} from "./index.js";
import type { CommandContext } from "./runner.js";

/**
 * Property: any sequence of commands, valid or refused, keeps the register's invariants:
 * one head per household among its living members; each living record in exactly one household;
 * every record equals its history replayed; a 除票 never changes except by a 異動取消; and a
 * refused command writes nothing.
 */
const TODAY = "2026-11-26";
const OTHER_LG = "131083";

type Op =
  | { op: "moveIn"; size: number; where: number }
  | {
      op: "birth" | "moveOut" | "confirm" | "cancelMoveOut" | "changeHead" | "emigration" | "cancel";
      pick: number;
    }
  | { op: "relocation"; pick: number; where: number }
  | { op: "death"; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("moveIn" as const),
      size: fc.integer({ min: 1, max: 3 }),
      where: fc.nat(30),
    }),
  },
  ...(["birth", "moveOut", "confirm", "cancelMoveOut", "changeHead", "emigration", "cancel"] as const).map(
    (op) => ({
      weight: 1,
      arbitrary: fc.record({ op: fc.constant(op), pick: fc.nat(1000) }),
    }),
  ),
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("relocation" as const), pick: fc.nat(1000), where: fc.nat(30) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("death" as const), pick: fc.nat(1000) }) },
);

let f: RegisterFixture;
let ctx: CommandContext;
let lg: string;

beforeAll(async () => {
  f = await registerFixture();
  ctx = context(f, f.clerk, TODAY);
  lg = f.municipality.lgCode;
});
afterAll(async () => {
  await f?.close();
});

interface Living {
  id: string;
  household_id: string;
  relationship: string;
  status: string;
}

async function living(): Promise<Living[]> {
  return f.db
    .selectFrom("register.resident")
    .select(["id", "household_id", "relationship", "status"])
    .where("lg_code", "=", lg)
    .where("status", "in", ["active", "moveOutScheduled"])
    .orderBy("id")
    .execute();
}

function households(rows: Living[], status?: string): Living[][] {
  const map = new Map<string, Living[]>();
  for (const r of rows) {
    if (status && r.status !== status) continue;
    map.set(r.household_id, [...(map.get(r.household_id) ?? []), r]);
  }
  return [...map.values()];
}

function at<T>(list: T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

async function removedSnapshot(): Promise<Record<string, unknown>> {
  const rows = await sql<{ id: string }>`select * from register.resident where status = 'removed'`.execute(
    f.db,
  );
  return Object.fromEntries(rows.rows.map((r) => [r.id, r]));
}

async function removedRows(ids: string[]): Promise<Record<string, unknown>> {
  if (ids.length === 0) return {};
  const rows = await sql<{
    id: string;
  }>`select * from register.resident where id = any(${ids}::uuid[])`.execute(f.db);
  return Object.fromEntries(rows.rows.map((r) => [r.id, r]));
}

async function run(op: Op): Promise<void> {
  const rows = await living();
  const key = requestKey("prop");
  const base = { requestKey: key, lgCode: lg };
  switch (op.op) {
    case "moveIn": {
      const persons = [japanese()];
      for (let i = 1; i < op.size; i++)
        persons.push(japanese({ relationship: "子", birthDate: "2010-01-01" }));
      await moveIn(ctx, {
        ...base,
        movedInOn: "2026-11-20",
        notifiedOn: TODAY,
        certificate: { fromLgCode: OTHER_LG, fromAddress: "東京都江東区", plannedMoveOutDate: "2026-11-20" },
        persons,
        household: { kind: "new" },
        address: address(f.municipality, op.where),
      });
      return;
    }
    case "birth": {
      const h = at(households(rows, "active"), op.pick);
      if (!h) return;
      await birth(ctx, {
        ...base,
        notifiedOn: TODAY,
        household: { kind: "join", householdId: h[0]!.household_id },
        child: {
          name: { family: "試験", given: "新", familyKana: "シケン", givenKana: "アラタ" },
          birthDate: "2026-11-25",
          sex: "female",
          nationality: "JP",
          honseki: { address: "東京都墨田区", headOfFamily: "試験太郎" },
          relationship: "子",
        },
      });
      return;
    }
    case "relocation": {
      const h = at(households(rows), op.pick);
      if (!h) return;
      await relocation(ctx, {
        ...base,
        residentIds: h.map((r) => r.id),
        movedOn: TODAY,
        notifiedOn: TODAY,
        address: address(f.municipality, op.where + 1),
        household: { kind: "same" },
      });
      return;
    }
    case "moveOut":
    case "emigration": {
      const h = at(households(rows), op.pick);
      if (!h) return;
      const ids = h.map((r) => r.id);
      if (op.op === "moveOut") {
        await moveOut(ctx, {
          ...base,
          residentIds: ids,
          plannedOn: "2026-11-28",
          notifiedOn: TODAY,
          destination: { lgCode: OTHER_LG, address: "東京都江東区" },
        });
      } else {
        await emigration(ctx, {
          ...base,
          residentIds: ids,
          departedOn: TODAY,
          notifiedOn: TODAY,
          destinationAddress: "韓国",
        });
      }
      return;
    }
    case "confirm":
    case "cancelMoveOut": {
      const h = at(households(rows, "moveOutScheduled"), op.pick);
      if (!h) return;
      const ids = h.map((r) => r.id);
      if (op.op === "confirm") {
        await moveOutConfirm(context(f, { system: "juki-net" }, "2026-11-30"), { ...base, residentIds: ids });
      } else {
        await moveOutCancel(ctx, { ...base, residentIds: ids, notifiedOn: TODAY });
      }
      return;
    }
    case "changeHead": {
      const h = at(
        households(rows).filter((x) => x.length >= 2),
        op.pick,
      );
      if (!h) return;
      const next = h.find((r) => r.relationship !== HEAD)!;
      await householdChange(ctx, {
        ...base,
        effectiveDate: TODAY,
        notifiedOn: TODAY,
        change: {
          type: "changeHead",
          householdId: next.household_id,
          newHeadId: next.id,
          relationships: Object.fromEntries(h.filter((r) => r !== next).map((r) => [r.id, "同居人"])),
        },
      });
      return;
    }
    case "death": {
      const person = at(rows, op.pick);
      if (!person) return;
      const others = rows.filter((r) => r.household_id === person.household_id && r.id !== person.id);
      const newHead =
        person.relationship === HEAD && others.length > 1
          ? {
              residentId: others[0]!.id,
              relationships: Object.fromEntries(others.slice(1).map((r) => [r.id, "同居人"])),
            }
          : undefined;
      await death(ctx, { ...base, residentId: person.id, diedOn: TODAY, notifiedOn: TODAY, newHead });
      return;
    }
    case "cancel": {
      const all = await f.db
        .selectFrom("register.resident")
        .select("id")
        .where("lg_code", "=", lg)
        .orderBy("id")
        .execute();
      const person = at(all, op.pick);
      if (!person) return;
      const latest = (await latestChanges(f.db, [person.id])).get(person.id);
      if (!latest) return;
      const approvalId = await requestChangeCancellation(ctx, {
        lgCode: lg,
        changeId: latest.id,
        reason: "誤り",
      });
      await f.db.transaction().execute((trx) => approve(trx, { approvalId, approver: f.supervisor }));
      await changeCancellation(ctx, { ...base, approvalId });
      return;
    }
  }
}

/** Commands run (and refused, with "!"), so a run that tests nothing shows. */
const tally: Record<string, number> = {};

describe("register invariants under random command sequences", () => {
  it("hold after every command", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 14 }), async (ops) => {
        for (const op of ops) {
          const removedBefore = await removedSnapshot();
          const before = await counts(f.db);
          try {
            await run(op);
            tally[op.op] = (tally[op.op] ?? 0) + 1;
          } catch (err) {
            tally[`${op.op}!`] = (tally[`${op.op}!`] ?? 0) + 1;
            if (!(err instanceof RegisterValidationError) && !(err instanceof IllegalTransitionError))
              throw err;
            const after = await counts(f.db);
            // A refused command writes nothing (approval requests aside, which are not changes).
            expect({ ...after, requests: 0 }).toEqual({ ...before, requests: 0 });
            expect(after.requests).toBe(before.requests);
          }
          // 除票 that existed before stay exactly as they were (new ones may appear).
          if (op.op !== "cancel")
            expect(await removedRows(Object.keys(removedBefore))).toEqual(removedBefore);
          expect(await householdsBreakingHeadRule(f.db)).toEqual([]);
        }
        expect(await replayMismatches(f.db)).toEqual([]);
        const orphans = await sql<{ n: number }>`
          select count(*)::int as n from register.resident r
          left join register.household h on h.id = r.household_id
          where h.id is null or h.lg_code <> r.lg_code`.execute(f.db);
        expect(orphans.rows[0]!.n).toBe(0);
      }),
      { numRuns: 12 },
    );
    if (process.env.JUKI_DEBUG_PROP) console.info(tally);
    expect(Object.keys(tally).filter((k) => !k.endsWith("!")).length).toBeGreaterThan(5);
  }, 240_000);
});

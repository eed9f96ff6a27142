import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenError } from "../register/authorization.js";
import { RegisterValidationError } from "../register/errors.js";
import { requestKey } from "../register/test-support.js";
import {
  CardWorkNotFoundError,
  checkIdentityWithCard,
  type IdentityCheckDeps,
  NetworkUnavailableError,
} from "./identity-check.js";
import { type CardsFixture, cardIdOf, cardsFixture, reservationFor } from "./test-support.js";

let c: CardsFixture;
let deps: IdentityCheckDeps;

beforeAll(async () => {
  c = await cardsFixture();
  deps = { db: c.f.db, terminal: c.terminal, network: c.network };
});
afterAll(async () => {
  await c?.close();
});

async function check(
  reservationId: string,
  key: keyof CardsFixture["movers"],
  pin?: string,
  rk = requestKey("idc"),
) {
  const m = c.movers[key];
  return checkIdentityWithCard(deps, {
    actor: c.f.clerk,
    reservationId,
    cardId: await cardIdOf(c, m),
    pin: pin ?? m.authPin,
    requestKey: rk,
  });
}

const rowsOf = (reservationId: string) =>
  c.f.db
    .selectFrom("register.card_identity_check")
    .selectAll()
    .where("reservation_id", "=", reservationId)
    .orderBy("checked_at")
    .execute();

describe("本人確認 with the card at the counter", () => {
  it("matches the card against 住基ネット and the reservation; records who, when and the result", async () => {
    const id = await reservationFor(c);
    const r = await check(id, "active");
    expect(r).toMatchObject({ outcome: "matched", personIndex: 0, mismatches: [], replayed: false });
    expect(r.networkLevel).not.toBeNull();
    const rows = await rowsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      outcome: "matched",
      checked_by: c.f.clerk.staffId,
      checked_role: "clerk",
    });
    expect(rows[0]!.card_last_four).toBe(c.movers.active.person.card!.cardNumber.slice(-4));
    const audit = await sql<{ detail: Record<string, unknown> }>`
      select detail from audit.log where action = 'card.identityCheck' and detail->>'reservationId' = ${id}`.execute(
      c.f.db,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.detail).toMatchObject({ outcome: "matched", mismatches: [] });
    // The audit row holds no personal value of the card.
    const text = JSON.stringify(audit.rows[0]);
    const p = c.movers.active.person;
    for (const v of [p.name.given, p.birthDate, p.residentCode, p.address.line, c.movers.active.authPin])
      expect(text).not.toContain(v);

    // Same request key: the first answer, nothing checked or written again.
    const again = await check(id, "active", undefined, rows[0]!.request_key);
    expect(again).toMatchObject({ outcome: "matched", replayed: true, checkId: rows[0]!.id });
    expect(await rowsOf(id)).toHaveLength(1);
  });

  it("a card whose holder is not on the reservation: the screen says the person is not among the movers", async () => {
    const id = await reservationFor(c);
    const r = await check(id, "stranger");
    expect(r.outcome).toBe("mismatch");
    expect(r.mismatches.map((m) => m.item)).toContain("residentCode");
  });

  // biome-ignore lint/suspicious/noExplicitAny: a reservation person as stored (JSON)
  type P = Record<string, any>;
  it.each([
    ["name", (p: P) => (p.name = { ...p.name, given: "別人" })],
    ["kana", (p: P) => (p.name = { ...p.name, givenKana: "ベツジン" })],
    ["birthDate", (p: P) => (p.birthDate = "1999-12-31")],
    ["sex", (p: P) => (p.sex = p.sex === "male" ? "female" : "male")],
  ])("says what differs: %s", async (item, change) => {
    const id = await reservationFor(c, (people) => change(people[0]!));
    const r = await check(id, "active");
    expect(r.outcome).toBe("mismatch");
    expect(r.personIndex).toBe(0);
    expect(r.mismatches.map((m) => m.item)).toEqual([item]);
    expect(r.mismatches[0]!.label).toMatch(/氏名|フリガナ|生年月日|性別/);
    expect((await rowsOf(id))[0]!.mismatches).toEqual([item]);
  });

  it("says the address differs when the card's address is not the one moved out from", async () => {
    const id = await reservationFor(c, (_people, cert) => {
      (cert.origin as { address: { line: string } }).address.line = "東京都千代田区千代田1番1号";
    });
    const r = await check(id, "active");
    expect(r.outcome).toBe("mismatch");
    expect(r.mismatches.map((m) => m.item)).toEqual(["address"]);
  });

  it("wrong PINs: tries left, then the third locks the certificate; each attempt recorded", async () => {
    const id = await reservationFor(c);
    const m = c.movers.spare;
    const wrong = m.authPin === "0000" ? "1111" : "0000";
    expect(await check(id, "spare", wrong)).toMatchObject({ outcome: "pinMismatch", triesLeft: 2 });
    expect(await check(id, "spare", wrong)).toMatchObject({ outcome: "pinMismatch", triesLeft: 1 });
    expect(await check(id, "spare", wrong)).toMatchObject({ outcome: "locked" });
    expect(await check(id, "spare")).toMatchObject({ outcome: "locked" });
    expect((await rowsOf(id)).map((r) => r.outcome)).toEqual([
      "pinMismatch",
      "pinMismatch",
      "locked",
      "locked",
    ]);
    // A malformed PIN is a field error, not an attempt.
    await expect(check(id, "active", "12a4")).rejects.toBeInstanceOf(RegisterValidationError);
    expect(await rowsOf(id)).toHaveLength(4);
  });

  it("when 住基ネット does not answer, nothing is recorded and the clerk is told to try again", async () => {
    const id = await reservationFor(c);
    c.juki.setFault("identity-lookup", { mode: "fail" });
    try {
      await expect(check(id, "active")).rejects.toBeInstanceOf(NetworkUnavailableError);
    } finally {
      c.juki.setFault("identity-lookup", null);
    }
    expect(await rowsOf(id)).toHaveLength(0);
    expect((await check(id, "active")).outcome).toBe("matched");
  });

  it("a suspended card is refused with the reason", async () => {
    const id = await reservationFor(c);
    const r = await check(id, "suspended");
    expect(r.outcome).toBe("refused");
    expect(r.message).toContain("一時停止");
  });

  it("an auditor, and staff of another municipality, are refused (and the refusal audited)", async () => {
    const id = await reservationFor(c);
    const cardId = await cardIdOf(c, c.movers.active);
    for (const actor of [c.f.auditor, c.otherClerk]) {
      await expect(
        checkIdentityWithCard(deps, {
          actor,
          reservationId: id,
          cardId,
          pin: c.movers.active.authPin,
          requestKey: requestKey("idc"),
        }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await rowsOf(id)).toHaveLength(0);
    const refused = await sql<{ n: number }>`
      select count(*)::int as n from audit.log
      where action = 'authorization.refused' and detail->>'command' = 'cardIdentityCheck'`.execute(c.f.db);
    expect(refused.rows[0]!.n).toBeGreaterThanOrEqual(2);
    await expect(
      checkIdentityWithCard(deps, {
        actor: c.f.clerk,
        reservationId: "00000000-0000-4000-8000-000000000000",
        cardId,
        pin: "1234",
        requestKey: requestKey("idc"),
      }),
    ).rejects.toBeInstanceOf(CardWorkNotFoundError);
  });
});

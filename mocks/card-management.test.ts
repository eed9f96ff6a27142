import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld } from "../lib/world.js";
import { cardManagement } from "./card-management.js";
import { mswHandlers } from "./kit.js";

const BASE = "http://card-management.test";
const world = loadWorld();
const active = world.people.filter((p) => p.card?.status === "active" && p.card.expiresOn > "2027-01-01");
if (active.length < 4) throw new Error("the world file needs at least four active cards");
const suspendedPerson = world.people.find((p) => p.card?.status === "suspended");
// Taken from whatever the world file holds: one card J-LIS has made but not handed over yet.
const unissuedCard = active[3]!.card!;
let today = "2026-11-26";
const system = cardManagement(world, {
  now: () => new Date(`${today}T03:00:00Z`),
  unissuedCards: [unissuedCard.cardNumber],
});
const server = setupServer(...mswHandlers(system, BASE));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const aCard = active[0]!.card!;
const post = (body: unknown) =>
  fetch(`${BASE}/card-operations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
let n = 0;
const op = (cardNumber: string, operation: string, extra: Record<string, unknown> = {}) => ({
  id: `op-${++n}`,
  lgCode: "131067",
  cardNumber,
  operation,
  ...extra,
});
const cardStatus = async (cardNumber: string) => (await fetch(`${BASE}/cards/${cardNumber}`)).json();

describe("J-LIS card management stand-in (through msw)", () => {
  it("knows the world's cards and applies each operation id once", async () => {
    const status = await cardStatus(aCard.cardNumber);
    expect(status.status).toBe("active");

    const ret = { id: "ret-1", lgCode: "131067", cardNumber: aCard.cardNumber, operation: "return" };
    const first = await post(ret);
    expect(first.status).toBe(202);
    expect((await first.json()).cardStatus).toBe("revoked");
    // A retry of the same message gets the same answer and changes nothing.
    const again = await post(ret);
    expect(again.status).toBe(202);
    expect((await cardStatus(aCard.cardNumber)).operations).toHaveLength(1);
    const later = await post(op(aCard.cardNumber, "continuedUse", { moveInNotifiedOn: "2026-11-20" }));
    expect(later.status).toBe(409);
    expect((await later.json()).error).toBe("card_revoked");
    // The same id with other content is refused, and does not replace the first answer.
    const reused = await post({ ...ret, operation: "abolish" });
    expect(reused.status).toBe(409);
    expect((await reused.json()).error).toBe("idReused");
    const answer = await (await fetch(`${BASE}/card-operations/ret-1`)).json();
    expect(answer.answer.status).toBe(202);
    expect(system.recorded.filter((r) => r.endpoint === "card-operation")).toHaveLength(4);
  });

  it("accepts and records every operation, and refuses what J-LIS refuses", async () => {
    const card = active[1]!.card!.cardNumber;
    const accepted = async (body: Record<string, unknown>) => {
      const res = await post(body);
      const json = await res.json();
      expect({ status: res.status, op: body.operation, json }).toMatchObject({
        status: 202,
        json: { accepted: true, id: body.id },
      });
      return json;
    };
    const refused = async (body: Record<string, unknown>, code: string) => {
      const res = await post(body);
      const json = await res.json();
      expect({ status: res.status, error: json.error }).toEqual({ status: 409, error: code });
      expect(json.message).toMatch(/[ぁ-んァ-ン一-龥]/);
    };
    await accepted(op(card, "continuedUse", { moveInNotifiedOn: "2026-11-20" }));
    await accepted(op(card, "surfaceUpdate", { newAddress: "東京都台東区浅草一丁目1番1号" }));
    await accepted(op(card, "signCertReissue", { signCertSerial: "1234567890123456" }));
    const s = await cardStatus(card);
    expect(s).toMatchObject({
      surfaceAddress: "東京都台東区浅草一丁目1番1号",
      signCertSerial: "1234567890123456",
      continuedUseOn: today,
    });
    await refused(op(card, "issue"), "already_issued");
    await refused(op(card, "unsuspend"), "not_suspended");
    await accepted(op(card, "abolish"));
    await refused(op(card, "abolish"), "card_revoked");
    await accepted(op(card, "collect"));
    await refused(op(card, "collect"), "already_collected");
    expect((await cardStatus(card)).operations.map((o: { operation: string }) => o.operation)).toEqual([
      "continuedUse",
      "surfaceUpdate",
      "signCertReissue",
      "abolish",
      "collect",
    ]);

    // 交付 of a card J-LIS made: only once; before it, the card cannot be used.
    await refused(op(unissuedCard.cardNumber, "continuedUse", { moveInNotifiedOn: today }), "not_issued");
    expect((await accepted(op(unissuedCard.cardNumber, "issue"))).issued).toBe(true);
    await refused(op(unissuedCard.cardNumber, "issue"), "already_issued");

    if (suspendedPerson) {
      const sc = suspendedPerson.card!.cardNumber;
      await refused(op(sc, "continuedUse", { moveInNotifiedOn: today }), "card_suspended");
      expect((await accepted(op(sc, "unsuspend"))).cardStatus).toBe("active");
    }
  });

  it("refuses 継続利用 after the 90 days from the 転入届 (day 90 is still in time)", async () => {
    const card = active[2]!.card!.cardNumber;
    today = "2027-02-18"; // 2026-11-20 + 90 days
    const inTime = await post(op(card, "continuedUse", { moveInNotifiedOn: "2026-11-20" }));
    expect(inTime.status).toBe(202);
    today = "2027-02-19";
    const late = await post(op(card, "continuedUse", { moveInNotifiedOn: "2026-11-20" }));
    expect(late.status).toBe(409);
    expect((await late.json()).error).toBe("continued_use_expired");
    today = "2026-11-26";
  });

  it("refuses a malformed operation, a missing per-operation field and an unknown card", async () => {
    expect((await post({ id: "x", lgCode: "131067", cardNumber: "12", operation: "issue" })).status).toBe(
      400,
    );
    const missing = await post(op(aCard.cardNumber, "surfaceUpdate"));
    expect(missing.status).toBe(400);
    expect((await missing.json()).issues).toContain("newAddress");
    expect((await post(op("000000000000", "issue"))).status).toBe(404);
    expect((await fetch(`${BASE}/cards/000000000000`)).status).toBe(404);
    expect((await fetch(`${BASE}/card-operations/nope`)).status).toBe(404);
  });

  it("can be told to fail, and recovers when the fault is cleared", async () => {
    system.setFault("card-status", { mode: "fail" });
    expect((await fetch(`${BASE}/cards/${aCard.cardNumber}`)).status).toBe(503);
    system.setFault("card-status", null);
    expect((await fetch(`${BASE}/cards/${aCard.cardNumber}`)).status).toBe(200);
  });
});

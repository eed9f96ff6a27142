import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorld } from "../lib/world.js";
import { cardManagement } from "./card-management.js";
import { mswHandlers } from "./kit.js";

const BASE = "http://card-management.test";
const world = loadWorld();
const system = cardManagement(world);
const server = setupServer(...mswHandlers(system, BASE));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const aCard = world.people.find((p) => p.card?.status === "active")!.card!;
const post = (body: unknown) =>
  fetch(`${BASE}/card-operations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("J-LIS card management stand-in (through msw)", () => {
  it("knows the world's cards and applies each operation id once", async () => {
    const status = await (await fetch(`${BASE}/cards/${aCard.cardNumber}`)).json();
    expect(status.status).toBe("active");

    const op = { id: "op-1", lgCode: "131067", cardNumber: aCard.cardNumber, operation: "return" };
    const first = await post(op);
    expect(first.status).toBe(202);
    expect((await first.json()).cardStatus).toBe("revoked");
    // A retry of the same message gets the same answer and changes nothing.
    const again = await post(op);
    expect(again.status).toBe(202);
    const later = await post({ ...op, id: "op-2", operation: "continuedUse" });
    expect(later.status).toBe(409);
    expect(system.recorded.filter((r) => r.endpoint === "card-operation")).toHaveLength(3);
  });

  it("refuses a malformed operation and an unknown card", async () => {
    expect((await post({ id: "x", lgCode: "131067", cardNumber: "12", operation: "issue" })).status).toBe(
      400,
    );
    expect((await fetch(`${BASE}/cards/000000000000`)).status).toBe(404);
  });

  it("can be told to fail, and recovers when the fault is cleared", async () => {
    system.setFault("card-status", { mode: "fail" });
    expect((await fetch(`${BASE}/cards/${aCard.cardNumber}`)).status).toBe(503);
    system.setFault("card-status", null);
    expect((await fetch(`${BASE}/cards/${aCard.cardNumber}`)).status).toBe(200);
  });
});

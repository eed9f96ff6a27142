import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenError } from "../register/authorization.js";
import { RegisterValidationError, RequestKeyReusedError } from "../register/errors.js";
import { requestKey } from "../register/test-support.js";
import { type CardOperationInput, type ProcessingDeps, processCard } from "./processing.js";
import {
  type CardsFixture,
  cardIdOf,
  cardsFixture,
  jlisClient,
  type MoverKey,
  moveMoversIn,
  TODAY,
} from "./test-support.js";

let c: CardsFixture;
let deps: ProcessingDeps;
let ids: Record<MoverKey, string>;

beforeAll(async () => {
  c = await cardsFixture();
  deps = { db: c.f.db, terminal: c.terminal, jlis: jlisClient(c) };
  ids = await moveMoversIn(c, TODAY);
});
afterAll(async () => {
  await c?.close();
});

async function run(
  key: MoverKey,
  operation: CardOperationInput["operation"],
  over: Partial<CardOperationInput> = {},
) {
  const m = c.movers[key];
  return processCard(deps, {
    actor: c.f.clerk,
    today: TODAY,
    requestKey: requestKey("card"),
    residentId: ids[key],
    operation,
    cardId: await cardIdOf(c, m),
    pin: m.authPin,
    ...over,
  });
}

const jlisCard = async (key: MoverKey) =>
  (await fetch(`${c.jlisUrl}/cards/${c.movers[key].person.card!.cardNumber}`)).json();
const jlisCalls = () => c.jlis.recorded.filter((r) => r.endpoint === "card-operation").length;

describe("card processing, sent to J-LIS", () => {
  it("継続利用 within 90 days of the 転入届 is accepted and recorded by J-LIS; the same request key acts once", async () => {
    const before = jlisCalls();
    const rk = requestKey("card");
    const r = await run("active", "continuedUse", { requestKey: rk });
    expect(r).toMatchObject({ status: "accepted", replayed: false, attempts: 1 });
    expect((await jlisCard("active")).continuedUseOn).toBe(TODAY);
    const again = await run("active", "continuedUse", { requestKey: rk });
    expect(again).toMatchObject({ status: "accepted", replayed: true, operationId: r.operationId });
    expect(jlisCalls()).toBe(before + 1);
    const audit = await sql<{ action: string; detail: Record<string, unknown> }>`
      select action, detail from audit.log where detail->>'operationId' = ${r.operationId} order by id`.execute(
      c.f.db,
    );
    expect(audit.rows.map((a) => a.action)).toEqual(["card.operation.requested", "card.operation.accepted"]);
    const text = JSON.stringify(audit.rows);
    expect(text).not.toContain(c.movers.active.person.card!.cardNumber);
    expect(text).not.toContain(c.movers.active.authPin);
    // The same key for another operation is refused.
    await expect(run("active", "surfaceUpdate", { requestKey: rk })).rejects.toBeInstanceOf(
      RequestKeyReusedError,
    );
  });

  it("継続利用 after the 90 days is refused with the reason, and nothing is sent", async () => {
    const before = jlisCalls();
    // Day 90 after the 転入届 is still in time (J-LIS's clock moves with the counter's day).
    c.jlisToday.value = "2027-02-24";
    const inTime = await run("spare", "continuedUse", { today: "2027-02-24" });
    expect(inTime.status).toBe("accepted");
    c.jlisToday.value = "2027-02-25";
    const late = await run("spare", "continuedUse", { today: "2027-02-25" });
    c.jlisToday.value = TODAY;
    expect(late).toMatchObject({ status: "refused", refusalCode: "continuedUseExpired" });
    expect(late.message).toContain("90日");
    expect(late.message).toContain("2027-02-24");
    expect(jlisCalls()).toBe(before + 1);
  });

  it("券面記載事項変更 writes the register's new address on the card", async () => {
    const r = await run("active", "surfaceUpdate");
    expect(r.status).toBe("accepted");
    const resident = await c.f.db
      .selectFrom("register.resident")
      .select("address_line")
      .where("id", "=", ids.active)
      .executeTakeFirstOrThrow();
    expect((await jlisCard("active")).surfaceAddress).toBe(resident.address_line);
  });

  it("a new 署名用電子証明書 for the new address: the old one revoked (addressChange), the new one issued by the JPKI CA with the new PIN, reported to J-LIS", async () => {
    const m = c.movers.active;
    const oldSerial = m.person.card!.signCert!.serial;
    expect(
      (await run("active", "signCertReissue", { newSignPin: "short" }).catch((e) => e)).fields,
    ).toHaveProperty("newSignPin");
    const r = await run("active", "signCertReissue", { newSignPin: "Moved2026" });
    expect(r.status).toBe("accepted");
    expect(r.newSignSerial).toMatch(/^\d+$/);
    expect(r.newSignSerial).not.toBe(oldSerial);
    const old = await (await fetch(`${c.idp.base}/jpki/certificates/${oldSerial}/status`)).json();
    expect(old).toMatchObject({ status: "revoked", reason: "addressChange" });
    const status = await (await fetch(`${c.idp.base}/jpki/certificates/${r.newSignSerial}/status`)).json();
    expect(status).toMatchObject({ status: "good", kind: "sign" });
    expect((await jlisCard("active")).signCertSerial).toBe(r.newSignSerial);
    const card = await c.terminal.read(await cardIdOf(c, m));
    expect(card?.card.signCert.status).toBe("valid");
    // The new certificate carries the register's address: nothing more to replace.
    const again = await run("active", "signCertReissue", { newSignPin: "Again2026" });
    expect(again).toMatchObject({ status: "refused", refusalCode: "sign_cert_valid" });
  });

  it("一時停止解除, 交付, 返納, 廃止 and 回収 are accepted and recorded; J-LIS refuses a revoked card", async () => {
    expect((await run("suspended", "unsuspend")).status).toBe("accepted");
    expect((await jlisCard("suspended")).status).toBe("active");
    expect((await run("unissued", "issue")).status).toBe("accepted");
    expect((await jlisCard("unissued")).issued).toBe(true);
    expect((await run("unissued", "return")).status).toBe("accepted");
    expect((await jlisCard("unissued")).status).toBe("revoked");

    expect((await run("spare", "abolish")).status).toBe("accepted");
    const again = await run("spare", "abolish");
    expect(again).toMatchObject({ status: "refused", refusalCode: "card_revoked" });
    expect(again.message).toContain("廃止");
    expect((await run("spare", "collect")).status).toBe("accepted");
    const ops = (await jlisCard("spare")).operations.map((o: { operation: string }) => o.operation);
    expect(ops).toEqual(["continuedUse", "abolish", "collect"]);
    const rows = await c.f.db
      .selectFrom("register.card_operation")
      .select(["operation", "status"])
      .where("resident_id", "=", ids.spare)
      .orderBy("created_at")
      .execute();
    expect(rows.map((r) => `${r.operation}:${r.status}`)).toEqual([
      "continuedUse:accepted",
      "continuedUse:refused",
      "abolish:accepted",
      "abolish:refused",
      "collect:accepted",
    ]);
  });

  it("when J-LIS does not answer, the operation stays pending; resending the same request key completes it once", async () => {
    const rk = requestKey("card");
    c.jlis.setFault("card-operation", { mode: "fail" });
    const first = await run("suspended", "surfaceUpdate", { requestKey: rk });
    c.jlis.setFault("card-operation", null);
    expect(first).toMatchObject({ status: "pending", attempts: 1 });
    expect(first.message).toContain("再送");
    const second = await run("suspended", "surfaceUpdate", { requestKey: rk });
    expect(second).toMatchObject({ status: "accepted", attempts: 2, operationId: first.operationId });
    const ops = (await jlisCard("suspended")).operations.filter(
      (o: { operation: string }) => o.operation === "surfaceUpdate",
    );
    expect(ops).toHaveLength(1);
  });

  it("refuses a card that is not the resident's, and bad input field by field", async () => {
    const err = await run("active", "surfaceUpdate", { cardId: await cardIdOf(c, c.movers.stranger) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(RegisterValidationError);
    expect(err.fields).toHaveProperty("cardId");
    const pin = await run("active", "continuedUse", { pin: "12" }).catch((e) => e);
    expect(pin.fields).toHaveProperty("pin");
  });

  it("an auditor is refused; staff of another municipality cannot process this municipality's resident's card", async () => {
    const cardId = await cardIdOf(c, c.movers.active);
    for (const actor of [c.f.auditor, c.otherClerk]) {
      const err = await processCard(deps, {
        actor,
        today: TODAY,
        requestKey: requestKey("card"),
        residentId: ids.active,
        operation: "abolish",
        cardId,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
    }
    expect((await jlisCard("active")).status).toBe("active");
    const refused = await sql<{ reasons: string[] }>`
      select array_agg(detail->>'reason' order by id) as reasons from audit.log
      where action = 'authorization.refused' and detail->>'command' = 'cardOperation'`.execute(c.f.db);
    expect(refused.rows[0]!.reasons).toEqual(["role", "municipality"]);
  });
});

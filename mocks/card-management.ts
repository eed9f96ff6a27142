import { z } from "zod";
import type { World } from "../lib/world.js";
import { IdempotencyLog } from "./idempotent.js";
import { type MockResponse, MockSystem } from "./kit.js";

/**
 * J-LIS card management (個人番号カード管理システム) stand-in: knows every card of the world
 * file, accepts the card operations a municipality sends (and applies each id once), and
 * answers a card's status. It holds card numbers and statuses only, never a holder's name.
 */
export const cardOperations = [
  "continuedUse", // 継続利用
  "surfaceUpdate", // 券面記載事項変更
  "signCertReissue", // 署名用電子証明書の発行（転居で失効した分）
  "issue", // 交付
  "abolish", // 廃止
  "collect", // 回収
  "unsuspend", // 一時停止解除
  "return", // 返納
] as const;

const operationSchema = z.object({
  id: z.string().min(1),
  lgCode: z.string().regex(/^\d{6}$/),
  cardNumber: z.string().regex(/^\d{12}$/),
  operation: z.enum(cardOperations),
});

type CardStatus = "active" | "suspended" | "revoked";
const nextStatus: Record<(typeof cardOperations)[number], CardStatus | null> = {
  continuedUse: null,
  surfaceUpdate: null,
  signCertReissue: null,
  issue: "active",
  abolish: "revoked",
  collect: "revoked",
  unsuspend: "active",
  return: "revoked",
};

export function cardManagement(world: World): MockSystem {
  const cards = new Map<string, { status: CardStatus; expiresOn: string; operations: string[] }>();
  for (const person of world.people) {
    if (person.card) {
      cards.set(person.card.cardNumber, {
        status: person.card.status,
        expiresOn: person.card.expiresOn,
        operations: [],
      });
    }
  }
  const log = new IdempotencyLog<MockResponse>();
  return new MockSystem("card-management", [
    {
      method: "GET",
      path: "/cards/:cardNumber",
      endpoint: "card-status",
      handle: ({ params }) => {
        const card = cards.get(params.cardNumber ?? "");
        return card
          ? { status: 200, body: { cardNumber: params.cardNumber, ...card } }
          : { status: 404, body: { error: "unknown card" } };
      },
    },
    {
      method: "POST",
      path: "/card-operations",
      endpoint: "card-operation",
      handle: ({ body }) => {
        const parsed = operationSchema.safeParse(body);
        if (!parsed.success)
          return {
            status: 400,
            body: {
              error: "invalid card operation",
              issues: parsed.error.issues.map((i) => i.path.join(".")),
            },
          };
        const op = parsed.data;
        return log.once(op.id, () => {
          const card = cards.get(op.cardNumber);
          if (!card) return { status: 404, body: { id: op.id, error: "unknown card" } };
          if (card.status === "revoked" && op.operation !== "issue") {
            return { status: 409, body: { id: op.id, error: "card is revoked" } };
          }
          const status = nextStatus[op.operation];
          if (status) card.status = status;
          card.operations.push(op.operation);
          return { status: 202, body: { id: op.id, accepted: true, cardStatus: card.status } };
        });
      },
    },
  ]);
}

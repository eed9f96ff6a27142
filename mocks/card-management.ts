import { createHash } from "node:crypto";
import { z } from "zod";
import type { World } from "../lib/world.js";
import { IdempotencyLog } from "./idempotent.js";
import { type MockResponse, MockSystem } from "./kit.js";

/**
 * J-LIS card management (個人番号カード管理システム) stand-in: knows every card of the world
 * file, accepts the card operations a municipality sends and applies each id once (a repeat
 * gets the first answer; the same id with other content is refused), refuses what J-LIS
 * would refuse (a revoked card, 継続利用 after its 90 days, …) with a code and a Japanese
 * message, and answers a card's status and a request's outcome. It holds card numbers and
 * statuses only, never a holder's name.
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
export type CardOperation = (typeof cardOperations)[number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const operationSchema = z
  .object({
    id: z.string().min(1).max(100),
    lgCode: z.string().regex(/^\d{6}$/),
    cardNumber: z.string().regex(/^\d{12}$/),
    operation: z.enum(cardOperations),
    /** 継続利用: the date of the 転入届 (the 90 days run from it). */
    moveInNotifiedOn: isoDate.optional(),
    /** 券面記載事項変更: the new address written on the card. */
    newAddress: z.string().min(1).max(200).optional(),
    /** 署名用電子証明書の発行: the new certificate's serial (issued by the JPKI CA). */
    signCertSerial: z
      .string()
      .regex(/^\d{1,40}$/)
      .optional(),
  })
  .superRefine((op, ctx) => {
    const need = (field: "moveInNotifiedOn" | "newAddress" | "signCertSerial") => {
      if (op[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `${field} is required for ${op.operation}` });
    };
    if (op.operation === "continuedUse") need("moveInNotifiedOn");
    if (op.operation === "surfaceUpdate") need("newAddress");
    if (op.operation === "signCertReissue") need("signCertSerial");
  });
type OperationRequest = z.infer<typeof operationSchema>;

type CardStatus = "active" | "suspended" | "revoked";

interface CardState {
  status: CardStatus;
  expiresOn: string;
  /** Handed over to the holder (交付済み). */
  issued: boolean;
  /** Taken back by the municipality (回収済み). */
  collected: boolean;
  surfaceAddress: string | null;
  signCertSerial: string | null;
  continuedUseOn: string | null;
  operations: { id: string; operation: CardOperation; lgCode: string; at: string }[];
}

/** J-LIS's refusals: code → what the counter reads. */
export const refusalMessages = {
  card_revoked: "このカードは廃止（失効）されています。",
  card_suspended: "このカードは一時停止中です。先に一時停止を解除してください。",
  card_expired: "このカードは有効期限が切れています。",
  continued_use_expired:
    "転入届から90日を過ぎたため継続利用の処理はできません。カードは失効しています（再交付の申請が必要です）。",
  already_issued: "このカードは既に交付されています。",
  already_collected: "このカードは既に回収されています。",
  not_suspended: "このカードは一時停止されていません。",
  not_issued: "このカードはまだ交付されていません。",
} as const;
export type CardManagementRefusal = keyof typeof refusalMessages;

export interface CardManagementOptions {
  /** J-LIS's clock (decides expiry and the 90 days of 継続利用); tests move it. */
  now?: () => Date;
  /** Card numbers of the world that J-LIS has made but the municipality has not handed over yet. */
  unissuedCards?: string[];
}

const tokyoDate = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
const addDays = (date: string, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** Why J-LIS refuses the operation on the card as it stands, or null. */
function refusal(card: CardState, op: OperationRequest, today: string): CardManagementRefusal | null {
  switch (op.operation) {
    case "issue":
      if (card.status === "revoked") return "card_revoked";
      return card.issued ? "already_issued" : null;
    case "collect":
      return card.collected ? "already_collected" : null;
    case "unsuspend":
      if (card.status === "revoked") return "card_revoked";
      return card.status === "suspended" ? null : "not_suspended";
    case "abolish":
    case "return":
      return card.status === "revoked" ? "card_revoked" : null;
    default: {
      // continuedUse, surfaceUpdate, signCertReissue: a usable card in the holder's hands.
      if (card.status === "revoked") return "card_revoked";
      if (!card.issued) return "not_issued";
      if (card.expiresOn < today) return "card_expired";
      if (op.operation === "continuedUse") {
        if (card.status === "suspended") return "card_suspended";
        if (today > addDays(op.moveInNotifiedOn!, 90)) return "continued_use_expired";
      }
      return null;
    }
  }
}

function apply(card: CardState, op: OperationRequest, today: string): void {
  switch (op.operation) {
    case "continuedUse":
      card.continuedUseOn = today;
      break;
    case "surfaceUpdate":
      card.surfaceAddress = op.newAddress!;
      break;
    case "signCertReissue":
      card.signCertSerial = op.signCertSerial!;
      break;
    case "issue":
      card.issued = true;
      card.status = "active";
      break;
    case "unsuspend":
      card.status = "active";
      break;
    case "abolish":
      card.status = "revoked";
      break;
    case "return":
      card.status = "revoked";
      card.collected = true;
      break;
    case "collect":
      card.collected = true;
      card.status = "revoked";
      break;
  }
}

export function cardManagement(world: World, options: CardManagementOptions = {}): MockSystem {
  const now = options.now ?? (() => new Date());
  const unissued = new Set(options.unissuedCards ?? []);
  const cards = new Map<string, CardState>();
  for (const person of world.people) {
    if (person.card) {
      cards.set(person.card.cardNumber, {
        status: person.card.status,
        expiresOn: person.card.expiresOn,
        issued: !unissued.has(person.card.cardNumber),
        collected: false,
        surfaceAddress: null,
        signCertSerial: null,
        continuedUseOn: null,
        operations: [],
      });
    }
  }
  const log = new IdempotencyLog<MockResponse>();
  /** id → digest of the request first answered under it, and the outcome (for GET). */
  const requests = new Map<string, { digest: string; outcome: MockResponse }>();
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
      method: "GET",
      path: "/card-operations/:id",
      endpoint: "card-operation-status",
      handle: ({ params }) => {
        const known = requests.get(params.id ?? "");
        return known
          ? { status: 200, body: { id: params.id, answer: known.outcome } }
          : { status: 404, body: { id: params.id, error: "unknown request" } };
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
        const digest = createHash("sha256")
          .update(JSON.stringify(Object.entries(op).sort()))
          .digest("hex");
        const seen = requests.get(op.id);
        if (seen && seen.digest !== digest)
          return {
            status: 409,
            body: { id: op.id, error: "idReused", message: "この要求番号は別の内容の要求に使われています。" },
          };
        return log.once(op.id, () => {
          const card = cards.get(op.cardNumber);
          let outcome: MockResponse;
          if (!card) {
            outcome = { status: 404, body: { id: op.id, error: "unknown card" } };
          } else {
            const today = tokyoDate(now());
            const refused = refusal(card, op, today);
            if (refused) {
              outcome = {
                status: 409,
                body: {
                  id: op.id,
                  error: refused,
                  message: refusalMessages[refused],
                  cardStatus: card.status,
                },
              };
            } else {
              apply(card, op, today);
              const at = now().toISOString();
              card.operations.push({ id: op.id, operation: op.operation, lgCode: op.lgCode, at });
              outcome = {
                status: 202,
                body: {
                  id: op.id,
                  accepted: true,
                  operation: op.operation,
                  cardStatus: card.status,
                  issued: card.issued,
                  collected: card.collected,
                  acceptedAt: at,
                },
              };
            }
          }
          requests.set(op.id, { digest, outcome });
          return outcome;
        });
      },
    },
  ]);
}

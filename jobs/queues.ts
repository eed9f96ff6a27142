import { z } from "zod";

/**
 * Every queue and its payload, declared once and shared by producers (through the outbox)
 * and processors. Payloads carry ids and codes, never personal data in clear: what the
 * portal hands to the closed zone travels sealed (encrypted for the back office).
 */

const lgCode = z.string().regex(/^\d{6}$/, "6桁の地方公共団体コード");

/** What every job carries: the outbox id (also the BullMQ jobId) and per-key ordering. */
export const envelopeSchema = z.object({
  messageId: z.string().uuid(),
  /** The municipality the message concerns (its receiver's tenant in the closed zone). */
  lgCode,
  /** Messages with the same key are applied in `sequence` order (1, 2, 3 …). */
  orderingKey: z.string().min(1).optional(),
  sequence: z.number().int().positive().optional(),
  data: z.unknown(),
});
export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, "data"> & { data: T };

export interface QueueDefinition<Name extends string, Schema extends z.ZodTypeAny> {
  name: Name;
  schema: Schema;
  /** Which zone's database the processor of this queue writes to (where its inbox is). */
  consumerZone: "portal" | "backoffice";
}

function defineQueue<Name extends string, Schema extends z.ZodTypeAny>(
  name: Name,
  consumerZone: "portal" | "backoffice",
  schema: Schema,
): QueueDefinition<Name, Schema> {
  return { name, schema, consumerZone };
}

export const applicationStatuses = [
  "received", // 受付済み
  "moveOutAccepted", // 転出受理
  "returned", // 差戻し
  "awaitingVisit", // 来庁待ち
  "completed", // 完了
  "cancelled", // 取消済み
  "expired", // 期限切れ
] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];

export const queues = {
  /** Portal → closed zone: an online 転出届 + 転入予約 or 転居予約 to process. */
  intake: defineQueue(
    "intake",
    "backoffice",
    z.object({
      applicationId: z.string().uuid(),
      kind: z.enum(["moveOut", "relocation"]),
      /** The signed application, encrypted for the back office (base64url). */
      sealed: z.string().min(1),
      /** The 受付番号 the resident was given (not personal data): the counter finds the reservation by it. */
      receiptNumber: z
        .string()
        .regex(/^\d{4}-\d{4}-\d{4}$/)
        .optional(),
    }),
  ),
  /** Portal → closed zone: the resident cancelled an application online. */
  cancellation: defineQueue("cancellation", "backoffice", z.object({ applicationId: z.string().uuid() })),
  /** Closed zone → portal: the application's status changed. */
  applicationStatus: defineQueue(
    "application-status",
    "portal",
    z.object({
      applicationId: z.string().uuid(),
      status: z.enum(applicationStatuses),
      /** A code the portal turns into a sentence the resident understands (差戻し理由). */
      reasonCode: z.string().optional(),
    }),
  ),
  /**
   * 住基ネット → closed zone: a message arrived in a hosted municipality's mailbox at the CS
   * (docs/contracts/juki-net.md). Ids only: the processor fetches the body from the mailbox and
   * acknowledges it after its effect commits. Added by the stand-in (not an outbox) with
   * jobId = messageId, in the usual envelope (lgCode = the receiving municipality).
   */
  jukiNetInbound: defineQueue(
    "juki-net-inbound",
    "backoffice",
    z.object({ messageId: z.string().uuid(), kind: z.string().min(1) }),
  ),
  /**
   * Register → 住基ネット (市町村CS): a change's 本人確認情報 to send. Ids only: the worker reads
   * the record in the closed zone (backoffice/register/identity-info.ts). Ordering key: the
   * resident id, so one person's changes reach the national server in the order they were made.
   */
  jukiNetIdentity: defineQueue(
    "juki-net-identity",
    "backoffice",
    z.object({ changeId: z.string().uuid(), residentId: z.string().uuid() }),
  ),
  /**
   * Closed zone → 住基ネット: a signed message stored in register.outbound_message (転出証明書情報,
   * moveOutRequest …) to send until the network accepts it. Ids only: the body stays in the
   * closed zone's database.
   */
  jukiNetOutbound: defineQueue(
    "juki-net-outbound",
    "backoffice",
    z.object({ outboundId: z.string().uuid() }),
  ),
  /**
   * Register → downstream address systems (団体内統合宛名 / 宛名管理): a record changed. Ids only;
   * ordering key: the resident id.
   */
  addressNotice: defineQueue(
    "address-notice",
    "backoffice",
    z.object({ changeId: z.string().uuid(), residentId: z.string().uuid() }),
  ),
} as const;

export type Queues = typeof queues;
export type QueueKey = keyof Queues;
export type QueueName = Queues[QueueKey]["name"];
export type QueueData<K extends QueueKey> = z.infer<Queues[K]["schema"]>;

export function queueByName(name: string): Queues[QueueKey] | undefined {
  return Object.values(queues).find((q) => q.name === name);
}

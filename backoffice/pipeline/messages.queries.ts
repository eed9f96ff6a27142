/**
 * The 住基ネット messages a hosted municipality sends, as the back office follows them until the
 * network accepted them (転出証明書情報, 転入通知, 附票通知, 取消 …).
 *
 * Retries are automatic: the outbound job is retried with exponential backoff (capped at 30 s)
 * for 30 attempts (jobs/backend.ts), i.e. about a quarter of an hour of network trouble; after
 * that the job is in the dead-letter state and the message stays `pending` with its last error.
 * `retryOutgoing` then hands it to the worker again (a new job for the same stored message: the
 * network answers a repeat of an accepted id with its first answer, so a retry never doubles it).
 */
import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { enqueue } from "../../jobs/outbox.js";

type Db = Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>;

export interface OutgoingMessage {
  id: string;
  kind: string;
  toLgCode: string;
  status: "pending" | "accepted";
  attempts: number;
  lastError?: string;
  createdAt: Date;
  acceptedAt: Date | null;
}

/** The messages of a reservation (its completion's) or of an application (every step), oldest first. */
export async function outgoingMessages(
  db: Db,
  lgCode: string,
  of: { reservationId: string } | { applicationId: string },
): Promise<OutgoingMessage[]> {
  let q = db
    .selectFrom("register.outbound_message")
    .select(["id", "kind", "to_lg_code", "status", "attempts", "last_error", "created_at", "accepted_at"])
    .where("lg_code", "=", lgCode);
  q =
    "reservationId" in of
      ? q.where("reservation_id", "=", of.reservationId)
      : q.where("application_id", "=", of.applicationId);
  const rows = await q.orderBy("created_at").orderBy("id").execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    toLgCode: r.to_lg_code,
    status: r.status,
    attempts: r.attempts,
    ...(r.last_error ? { lastError: r.last_error } : {}),
    createdAt: r.created_at,
    acceptedAt: r.accepted_at,
  }));
}

export type RetryOutcome = { kind: "queued" } | { kind: "alreadyAccepted" } | { kind: "notFound" };

/** Sends a pending message again (e.g. after its job went to the dead-letter state). */
export async function retryOutgoing(
  db: Kysely<BackofficeDatabase>,
  lgCode: string,
  id: string,
): Promise<RetryOutcome> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("register.outbound_message")
      .select(["id", "status"])
      .where("id", "=", id)
      .where("lg_code", "=", lgCode)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: "notFound" } as const;
    if (row.status === "accepted") return { kind: "alreadyAccepted" } as const;
    await enqueue(trx, "messaging", { queue: "jukiNetOutbound", lgCode, data: { outboundId: id } });
    return { kind: "queued" } as const;
  });
}

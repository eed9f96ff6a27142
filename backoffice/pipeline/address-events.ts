/**
 * Register → the municipality's downstream address systems (団体内統合宛名 and 宛名管理), issue 5
 * item 5: every change of a record becomes one event per system, about an opaque reference to
 * the person (the record id, never a name), numbered per person in the order the register made
 * the changes (the outbox's per-resident sequence of the `addressNotice` queue). The contract is
 * the stand-in's (mocks/address-systems.ts, `POST /address-events`); the event id is the job's
 * message id and the system, so a repeat has no second effect there.
 */
import type { Kysely, Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";

export const addressSystemNames = ["integratedAddressee", "addresseeManagement"] as const;
export type AddressSystemName = (typeof addressSystemNames)[number];

export interface AddressEvent {
  id: string;
  lgCode: string;
  system: AddressSystemName;
  personRef: string;
  sequence: number;
  change: string;
  effectiveDate: string;
}

export async function addressEventsOf(
  db: Kysely<BackofficeDatabase> | Transaction<BackofficeDatabase>,
  job: { messageId: string; sequence: number; changeId: string; residentId: string },
): Promise<AddressEvent[] | undefined> {
  const change = await db
    .selectFrom("register.resident_change")
    .select(["lg_code", "kind", "effective_date"])
    .where("id", "=", job.changeId)
    .where("resident_id", "=", job.residentId)
    .executeTakeFirst();
  if (!change) return undefined;
  return addressSystemNames.map((system) => ({
    id: `${job.messageId}:${system}`,
    lgCode: change.lg_code,
    system,
    personRef: job.residentId,
    sequence: job.sequence,
    change: change.kind,
    effectiveDate: String(change.effective_date),
  }));
}

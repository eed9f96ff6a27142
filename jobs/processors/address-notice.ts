import { UnrecoverableError } from "bullmq";
import type { Transaction } from "kysely";
import { addressEventsOf } from "../../backoffice/pipeline/address-events.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Register → 団体内統合宛名 / 宛名管理: each change of a record as an event per system, one person's
 * events in the order of their changes (the inbox applies the per-resident sequence; the systems
 * apply each event id once). 5xx and network failures are retried; a 4xx is a bug (dead letter).
 */
export function addressNoticeProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "addressNotice",
    consumer: "backoffice-address-notice",
    async handle({ trx, envelope, data, logger }) {
      if (envelope.sequence === undefined) throw new UnrecoverableError("address notice without a sequence");
      const d = deps();
      if (!d.addressSystemsUrl) throw new UnrecoverableError("no ADDRESS_SYSTEMS_URL configured");
      const events = await addressEventsOf(trx as Transaction<BackofficeDatabase>, {
        messageId: envelope.messageId,
        sequence: envelope.sequence,
        changeId: data.changeId,
        residentId: data.residentId,
      });
      if (!events) throw new UnrecoverableError("the change of this notice is not in the register");
      for (const event of events) {
        let res: Response;
        try {
          res = await fetch(`${d.addressSystemsUrl.replace(/\/$/, "")}/address-events`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(event),
            signal: AbortSignal.timeout(5_000),
          });
        } catch {
          throw new Error(`address system ${event.system} unreachable`);
        }
        if (res.status >= 500 || res.status === 429) throw new Error(`address system answered ${res.status}`);
        if (!res.ok) throw new UnrecoverableError(`address system refused the event (${res.status})`);
      }
      logger.debug({ changeId: data.changeId, sequence: envelope.sequence }, "address events sent");
    },
  });
}

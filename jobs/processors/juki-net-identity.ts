import { UnrecoverableError } from "bullmq";
import type { Transaction } from "kysely";
import { IdentityUpdateError, toIdentityUpdate } from "../../backoffice/pipeline/identity-update.js";
import { buildIdentityInfo, IdentityInfoError } from "../../backoffice/register/identity-info.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Register → 住基ネット: a change's 本人確認情報 as `POST /cs/identity-updates`, with the job's
 * per-resident sequence. The inbox applies one resident's jobs in order; a 409 outOfOrder from
 * the network (it has not seen the previous one yet) throws a retryable error and BullMQ retries.
 */
export function jukiNetIdentityProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "jukiNetIdentity",
    consumer: "backoffice-juki-net-identity",
    // One resident's updates go in order anyway (ordering key); keep the network calls modest.
    concurrency: 4,
    async handle({ trx, envelope, data, logger }) {
      if (envelope.sequence === undefined) throw new UnrecoverableError("identity job without a sequence");
      const d = deps();
      let update: ReturnType<typeof toIdentityUpdate>;
      try {
        const info = await buildIdentityInfo(trx as Transaction<BackofficeDatabase>, data, d.myNumberKeys);
        update = toIdentityUpdate(info, envelope.messageId, envelope.sequence);
      } catch (err) {
        if (err instanceof IdentityInfoError || err instanceof IdentityUpdateError) {
          throw new UnrecoverableError(`identity update cannot be built: ${err.message}`);
        }
        throw err;
      }
      const answer = await d.jukiNet.identityUpdate(update);
      logger.info(
        {
          changeId: data.changeId,
          residentId: data.residentId,
          sequence: answer.sequence,
          lgCode: update.lgCode,
        },
        "identity update applied",
      );
    },
  });
}

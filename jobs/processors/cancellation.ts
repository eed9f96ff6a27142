import type { Transaction } from "kysely";
import { cancelOnline } from "../../backoffice/pipeline/cancellation.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Portal → closed zone: the resident cancelled an application online (the portal already shows
 * 取消済み). The pipeline decides what that means where (backoffice/pipeline/cancellation.ts).
 */
export function cancellationProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "cancellation",
    consumer: "backoffice-cancellation",
    async handle({ trx, envelope, data, logger }) {
      const d = deps();
      const outcome = await cancelOnline(
        trx as Transaction<BackofficeDatabase>,
        envelope.lgCode,
        data.applicationId,
        { keys: d.myNumberKeys, today: d.today(), now: d.now(), sign: d.jukiNet.sign.bind(d.jukiNet) },
      );
      logger.info({ applicationId: data.applicationId, outcome: outcome.kind }, "cancellation taken in");
    },
  });
}

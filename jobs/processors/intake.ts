import { randomUUID } from "node:crypto";
import { UnrecoverableError } from "bullmq";
import type { Transaction } from "kysely";
import { cancelledBeforeIntake } from "../../backoffice/pipeline/cancellation.js";
import {
  acceptAtOrigin,
  forwardToStandInOrigin,
  reasonForVerification,
  returnApplication,
} from "../../backoffice/pipeline/intake.js";
import { acceptRelocation } from "../../backoffice/pipeline/relocation-intake.js";
import { loadMunicipality } from "../../backoffice/register/records.queries.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import { unsealSignedApplication } from "../../portal/signing/seal.js";
import { verifySignedApplication } from "../../portal/signing/verify.js";
import { revocationStatus, trustedRoot } from "../juki-net/card-idp.js";
import type { PipelineDeps } from "../juki-net/context.js";
import { defineProcessor } from "../processor.js";

/**
 * Portal → closed zone: an online 転出届 + 転入予約, or a 転居予約. Opens the sealed application, verifies the
 * card signature (chain to the JPKI root, validity and revocation at signing time), then hands it
 * to the origin's intake (hosted) or forwards it to the stand-in origin as a moveOutRequest; a 転居予約
 * becomes a counter reservation in its municipality. An application the resident cancelled before
 * its intake ran is left alone.
 * Everything it decides is written in the inbox's transaction.
 */
export function intakeProcessor(deps: () => PipelineDeps) {
  return defineProcessor({
    queue: "intake",
    consumer: "backoffice-intake",
    async handle({ trx: anyTrx, envelope, data, logger }) {
      const trx = anyTrx as Transaction<BackofficeDatabase>;
      const d = deps();
      if (await cancelledBeforeIntake(trx, data.applicationId)) {
        logger.info({ applicationId: data.applicationId }, "application cancelled before its intake");
        return;
      }
      let signed: Awaited<ReturnType<typeof unsealSignedApplication>>;
      try {
        signed = await unsealSignedApplication(data.sealed, d.intakePrivateJwk);
      } catch {
        // Wrong key or a broken seal: no retry helps; an admin must look (dead letter).
        throw new UnrecoverableError("the sealed application cannot be opened");
      }
      const doc = signed.application as unknown as ApplicationDocument;
      const lgCode = envelope.lgCode;
      if (
        doc.applicationId !== data.applicationId ||
        doc.origin?.lgCode !== lgCode ||
        !Array.isArray(doc.members)
      ) {
        await returnApplication(trx, lgCode, data.applicationId, "malformedApplication");
        return;
      }
      const now = d.now();
      const at =
        signed.signedAt && !Number.isNaN(Date.parse(signed.signedAt)) ? new Date(signed.signedAt) : now;
      const verified = await verifySignedApplication(
        {
          application: signed.application,
          digest: signed.digest,
          signature: signed.signature,
          certificatePem: signed.certificatePem,
          ...(signed.chainPem ? { chainPem: signed.chainPem } : {}),
        },
        {
          trustedRootPem: await trustedRoot(d.cardIdpUrl),
          checkRevocation: (serial) => revocationStatus(d.cardIdpUrl, serial),
          at: new Date(Math.min(at.getTime(), now.getTime())),
        },
      );
      if (!verified.ok) {
        logger.info({ applicationId: data.applicationId, reason: verified.reason }, "application returned");
        await returnApplication(trx, lgCode, data.applicationId, reasonForVerification(verified.reason));
        return;
      }
      if (data.kind === "relocation" || doc.kind === "relocation") {
        const outcome = await acceptRelocation(trx, doc, {
          today: d.today(),
          messageId: envelope.messageId,
          newId: randomUUID,
          receiptNumber: data.receiptNumber,
        });
        logger.info(
          {
            applicationId: data.applicationId,
            outcome: outcome.kind,
            ...(outcome.kind === "returned" ? { reason: outcome.reason } : {}),
          },
          "relocation taken in",
        );
        return;
      }
      const origin = await loadMunicipality(trx, lgCode);
      const intakeDeps = {
        keys: d.myNumberKeys,
        today: d.today(),
        now,
        sign: d.jukiNet.sign.bind(d.jukiNet),
        receiptNumber: data.receiptNumber,
      };
      const outcome =
        origin?.hosted === false || !origin
          ? await forwardToStandInOrigin(trx, doc, intakeDeps, d.jukiNet)
          : await acceptAtOrigin(trx, doc, intakeDeps);
      logger.info(
        {
          applicationId: data.applicationId,
          outcome: outcome.kind,
          ...(outcome.kind === "returned" ? { reason: outcome.reason } : {}),
        },
        "application taken in",
      );
    },
  });
}

import express from "express";
import { z } from "zod";
import type { Logger } from "../../lib/logger.js";
import type { MockJpkiCa } from "./ca.js";
import { type CertificateRecord, isExpired, revocationOf, tokyoDate } from "./holders.js";
import type { StateStore } from "./state.js";

/**
 * The mock JPKI CA's public face: the root certificate, a revocation-status service that
 * answers for every certificate of the world file (利用者証明用 and 署名用), revocation (called
 * by the back office or the J-LIS stand-in, e.g. after a change of address) and the counter's
 * PIN reset.
 */

export const revocationReasons = [
  "addressChange",
  "nameChange",
  "birthDateChange",
  "sexChange",
  "death",
  "moveAbroad",
  "keyCompromise",
  "cardReturned",
  "unspecified",
] as const;

const revokeSchema = z.object({ reason: z.enum(revocationReasons) });

export interface JpkiOptions {
  ca: MockJpkiCa;
  certificates: Map<string, CertificateRecord>;
  state: StateStore;
  now: () => Date;
  logger: Logger;
}

export function statusDocument(record: CertificateRecord, o: Pick<JpkiOptions, "state" | "now">) {
  const revocation = revocationOf(record, o.state.state);
  return {
    serial: record.serial,
    status: revocation.revoked ? ("revoked" as const) : ("good" as const),
    kind: record.kind,
    ...(revocation.revokedAt ? { revokedAt: revocation.revokedAt } : {}),
    ...(revocation.reason ? { reason: revocation.reason } : {}),
    expiresOn: record.expiresOn,
    expired: isExpired(record.expiresOn, tokyoDate(o.now())),
  };
}

export function jpkiRoutes(o: JpkiOptions): express.Router {
  const router = express.Router();

  router.get("/root.pem", (_req, res) => {
    res.set("content-type", "application/x-pem-file").set("cache-control", "no-cache").send(o.ca.rootPem);
  });

  router.get("/certificates/:serial/status", (req, res) => {
    const record = o.certificates.get(req.params.serial);
    if (!record) {
      res.status(404).json({ serial: req.params.serial, status: "unknown" });
      return;
    }
    res.set("cache-control", "no-store").json(statusDocument(record, o));
  });

  router.post("/certificates/:serial/revoke", express.json({ limit: "10kb" }), (req, res) => {
    const record = o.certificates.get(req.params.serial);
    if (!record) {
      res.status(404).json({ serial: req.params.serial, status: "unknown" });
      return;
    }
    const parsed = revokeSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({
        error: "invalid_request",
        error_description: `reason must be one of ${revocationReasons.join(", ")}`,
      });
      return;
    }
    if (!revocationOf(record, o.state.state).revoked)
      o.state.revoke(record.serial, parsed.data.reason, new Date());
    o.logger.info({ kind: record.kind, reason: parsed.data.reason }, "certificate revoked");
    res.json(statusDocument(record, o));
  });

  router.post("/certificates/:serial/unlock", (req, res) => {
    const record = o.certificates.get(req.params.serial);
    if (!record) {
      res.status(404).json({ serial: req.params.serial, status: "unknown" });
      return;
    }
    o.state.unlock(record.serial);
    res.json({ serial: record.serial, locked: false });
  });

  return router;
}

import { z } from "zod";
import { IdempotencyLog } from "./idempotent.js";
import { type MockResponse, MockSystem } from "./kit.js";

/**
 * 出入国在留管理庁 stand-in: receives 市町村通知 (住基法 第30条の50) about foreign residents,
 * identified by residence card number, and applies each notice id once.
 */
const noticeSchema = z.object({
  id: z.string().min(1),
  lgCode: z.string().regex(/^\d{6}$/),
  kind: z.enum(["moveIn", "moveOut", "relocation", "death", "birth", "correction", "removal"]),
  residenceCardNumber: z.string().min(1).optional(),
  specialPermanentResidentCertificateNumber: z.string().min(1).optional(),
  effectiveDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export function immigration(): MockSystem {
  const log = new IdempotencyLog<MockResponse>();
  return new MockSystem("immigration", [
    {
      method: "POST",
      path: "/municipal-notices",
      endpoint: "municipal-notice",
      handle: ({ body }) => {
        const parsed = noticeSchema.safeParse(body);
        if (!parsed.success)
          return {
            status: 400,
            body: { error: "invalid notice", issues: parsed.error.issues.map((i) => i.path.join(".")) },
          };
        return log.once(parsed.data.id, () => ({
          status: 202,
          body: { id: parsed.data.id, accepted: true },
        }));
      },
    },
  ]);
}

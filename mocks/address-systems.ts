import { z } from "zod";
import { IdempotencyLog } from "./idempotent.js";
import { type MockResponse, MockSystem } from "./kit.js";

/**
 * Downstream address systems inside the municipality (団体内統合宛名 and 宛名管理): receive
 * change events about a person (by an opaque reference, never the name), apply each id
 * once, and notice when a person's events arrive out of order.
 */
const eventSchema = z.object({
  id: z.string().min(1),
  lgCode: z.string().regex(/^\d{6}$/),
  system: z.enum(["integratedAddressee", "addresseeManagement"]),
  personRef: z.string().min(1),
  sequence: z.number().int().positive(),
  change: z.string().min(1),
  effectiveDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export function addressSystems(): MockSystem {
  const log = new IdempotencyLog<MockResponse>();
  const lastSequence = new Map<string, number>();
  let outOfOrder = 0;
  const system = new MockSystem("address-systems", [
    {
      method: "POST",
      path: "/address-events",
      endpoint: "address-event",
      handle: ({ body }) => {
        const parsed = eventSchema.safeParse(body);
        if (!parsed.success)
          return {
            status: 400,
            body: { error: "invalid event", issues: parsed.error.issues.map((i) => i.path.join(".")) },
          };
        const e = parsed.data;
        return log.once(e.id, () => {
          const key = `${e.system}:${e.lgCode}:${e.personRef}`;
          const last = lastSequence.get(key) ?? 0;
          if (e.sequence <= last) outOfOrder++;
          lastSequence.set(key, Math.max(last, e.sequence));
          return { status: 202, body: { id: e.id, accepted: true } };
        });
      },
    },
    {
      method: "GET",
      path: "/stats",
      endpoint: "stats",
      handle: () => ({ status: 200, body: { received: log.size, repeats: log.repeats, outOfOrder } }),
    },
  ]);
  return system;
}

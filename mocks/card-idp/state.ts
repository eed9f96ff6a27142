import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * What the card IdP must remember across restarts: wrong-PIN counters and locks per
 * certificate serial, and revocations. One small JSON file, written whole on every change
 * (write to a temporary file, then rename, so a crash never leaves half a file).
 */

const stateSchema = z.object({
  pins: z.record(z.object({ failures: z.number().int().min(0), locked: z.boolean() })).default({}),
  revocations: z.record(z.object({ revokedAt: z.string(), reason: z.string() })).default({}),
  /**
   * 署名用電子証明書 issued at the counter (card-terminal API), by card number: the new serial,
   * its expiry, the new signing PIN (what the card's chip would hold; this is a stand-in) and
   * the address and name written into it. Applied over the world file's card at start.
   */
  reissued: z
    .record(
      z.object({
        requestId: z.string(),
        serial: z.string(),
        expiresOn: z.string(),
        issuedAt: z.string(),
        pin: z.string(),
        address: z.object({
          line: z.string(),
          prefecture: z.string().optional(),
          city: z.string().optional(),
        }),
        /** The name written into it (absent in state written before names were recorded). */
        name: z.object({ family: z.string(), given: z.string() }).optional(),
      }),
    )
    .default({}),
});

export type CardIdpState = z.infer<typeof stateSchema>;

export class StateStore {
  readonly state: CardIdpState;
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, "state.json");
    this.state = StateStore.read(this.file);
  }

  private static read(file: string): CardIdpState {
    let raw: string;
    try {
      raw = readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return stateSchema.parse({});
      throw err;
    }
    const parsed = stateSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`card IdP state file ${file} is not in the expected shape`);
    return parsed.data;
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Counts a wrong PIN; returns the tries left (0 = now locked). */
  recordFailure(serial: string, maxTries: number): number {
    const entry = this.state.pins[serial] ?? { failures: 0, locked: false };
    entry.failures += 1;
    if (entry.failures >= maxTries) entry.locked = true;
    this.state.pins[serial] = entry;
    this.save();
    return Math.max(0, maxTries - entry.failures);
  }

  /** A correct PIN resets the counter. */
  recordSuccess(serial: string): void {
    if (!this.state.pins[serial]) return;
    delete this.state.pins[serial];
    this.save();
  }

  unlock(serial: string): void {
    delete this.state.pins[serial];
    this.save();
  }

  /** Records a signing certificate issued at the counter (replaces an earlier one for the card). */
  recordReissue(cardNumber: string, entry: CardIdpState["reissued"][string]): void {
    this.state.reissued[cardNumber] = entry;
    this.save();
  }

  /** Revokes once: a second call keeps the first date and reason. */
  revoke(serial: string, reason: string, at: Date): { revokedAt: string; reason: string } {
    const existing = this.state.revocations[serial];
    if (existing) return existing;
    const entry = { revokedAt: at.toISOString(), reason };
    this.state.revocations[serial] = entry;
    this.save();
    return entry;
  }
}

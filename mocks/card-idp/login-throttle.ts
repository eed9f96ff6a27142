/**
 * Password guessing at the staff realm: after `maxFailures` wrong passwords in a row for one
 * staff id, that id is locked for `lockMs` (a right password during the lock is refused too);
 * a successful login clears the count. Unknown ids are counted like known ones, so the lock
 * does not tell which ids exist. In memory (the stand-in's state ends with its process); at most
 * `maxTracked` ids are tracked, the oldest forgotten first.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, { failures: number; lockedUntil: number }>();

  constructor(
    private readonly now: () => Date,
    private readonly maxFailures = 5,
    private readonly lockMs = 15 * 60_000,
    private readonly maxTracked = 10_000,
  ) {}

  /** Whether the id is locked now; the minutes left when it is. */
  locked(id: string): { locked: false } | { locked: true; minutesLeft: number } {
    const e = this.entries.get(id);
    const left = e ? e.lockedUntil - this.now().getTime() : 0;
    return left > 0 ? { locked: true, minutesLeft: Math.ceil(left / 60_000) } : { locked: false };
  }

  failed(id: string): void {
    const e = this.entries.get(id) ?? { failures: 0, lockedUntil: 0 };
    this.entries.delete(id); // re-inserted last: the map's order is the order of last use
    if (e.lockedUntil > 0 && e.lockedUntil <= this.now().getTime()) {
      e.failures = 0; // the lock has run out: a new count
      e.lockedUntil = 0;
    }
    e.failures += 1;
    if (e.failures >= this.maxFailures) e.lockedUntil = this.now().getTime() + this.lockMs;
    this.entries.set(id, e);
    while (this.entries.size > this.maxTracked) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  succeeded(id: string): void {
    this.entries.delete(id);
  }
}

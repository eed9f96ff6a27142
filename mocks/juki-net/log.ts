import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import type { Event } from "./state.js";

/**
 * Append-only event log: one JSON line per request (all the events it caused), written and
 * fsync'd before the request is answered. A line torn by a crash is the last one and belongs
 * to a request that was never answered, so replay drops it.
 */
export class EventLog {
  private fd: number | undefined;
  readonly file: string;

  constructor(
    dir: string,
    private readonly fsync = true,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, "log.jsonl");
  }

  /** Every complete batch written so far, oldest first. */
  read(): Event[][] {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const batches: Event[][] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      try {
        batches.push((JSON.parse(line) as { events: Event[] }).events);
      } catch (err) {
        if (i >= lines.length - 2) break; // torn tail: never answered
        throw new Error(`juki-net: ${this.file} line ${i + 1} is corrupt (${(err as Error).message})`);
      }
    }
    return batches;
  }

  open(): void {
    // Start on a fresh line in case the previous run died mid-line.
    this.fd = openSync(this.file, "a+", 0o600);
    const size = fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a)
      writeSync(this.fd, "\n");
  }

  append(events: Event[]): void {
    if (events.length === 0) return;
    if (this.fd === undefined) this.open();
    writeSync(this.fd!, `${JSON.stringify({ at: new Date().toISOString(), events })}\n`);
    if (this.fsync) fsyncSync(this.fd!);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

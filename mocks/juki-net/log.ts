import { closeSync, fdatasync, fstatSync, mkdirSync, openSync, readFileSync, readSync, write } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Event } from "./state.js";

const writeAsync = promisify(write);
const datasyncAsync = promisify(fdatasync);

/**
 * Append-only event log: one JSON line per request (all the events it caused). Group commit:
 * lines that arrive while a write + fdatasync is in flight go out together in the next one, and
 * a request is answered only once its line is durable (`append` and `barrier` resolve then).
 * A line torn by a crash is the last one and belongs to a request that was never answered, so
 * replay drops it.
 */
export class EventLog {
  private fd: number | undefined;
  private pending: { line: string; done: () => void; failed: (err: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
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
    this.fd = openSync(this.file, "a+", 0o600);
    // Start on a fresh line if the previous run died mid-line.
    const size = fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
      this.pending.push({ line: "\n", done: () => {}, failed: () => {} });
    }
  }

  /** The log could not be written: the service must stop answering 2xx. */
  get broken(): Error | undefined {
    return this.failure;
  }

  /** Queues a batch of events; resolves once it is on disk. */
  append(events: Event[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (events.length === 0) return this.barrier();
    const line = `${JSON.stringify({ at: new Date().toISOString(), events })}\n`;
    return new Promise((done, failed) => {
      this.pending.push({ line, done, failed });
      this.kick();
    });
  }

  /** Resolves once everything appended so far is on disk. */
  barrier(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((done, failed) => {
      this.pending.push({ line: "", done, failed });
      this.kick();
    });
  }

  private kick(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    });
  }

  private async flush(): Promise<void> {
    if (this.fd === undefined) this.open();
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      const data = Buffer.from(batch.map((b) => b.line).join(""), "utf8");
      try {
        let offset = 0;
        while (offset < data.length) {
          const { bytesWritten } = await writeAsync(this.fd!, data, offset, data.length - offset);
          offset += bytesWritten;
        }
        if (this.fsync && data.length) await datasyncAsync(this.fd!);
        for (const b of batch) b.done();
      } catch (err) {
        this.failure = err as Error;
        for (const b of [...batch, ...this.pending.splice(0)]) b.failed(this.failure);
        return;
      }
    }
  }

  async close(): Promise<void> {
    await this.barrier().catch(() => {});
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

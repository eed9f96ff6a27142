import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU seconds a process has used, read from /proc (Linux only): its own user and system time plus
 * that of its children it has waited for (so a PostgreSQL postmaster counts the backends that have
 * exited). Returns undefined when the process is gone or /proc is not there.
 */
export function processCpuSeconds(pid: number, withLiveChildren = false): number | undefined {
  const own = statTicks(pid);
  if (own === undefined) return undefined;
  let ticks = own.utime + own.stime + own.cutime + own.cstime;
  if (withLiveChildren) {
    for (const entry of safeReaddir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const s = statTicks(Number(entry));
      if (s && s.ppid === pid) ticks += s.utime + s.stime;
    }
  }
  return ticks / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function statTicks(
  pid: number,
): { ppid: number; utime: number; stime: number; cutime: number; cstime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const field = (n: number) => Number(rest[n - 3]);
  return { ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

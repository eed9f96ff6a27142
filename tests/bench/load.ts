/** A small closed-loop load generator: `concurrency` loops, each with its own cookie, for `seconds`. */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  bytes: number;
}

export async function runLoad(opts: {
  url: string;
  cookies: string[];
  concurrency: number;
  seconds: number;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, i) => {
      const cookie = opts.cookies[i % opts.cookies.length] ?? "";
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const res = await fetch(opts.url, { headers: cookie ? { cookie } : {}, redirect: "manual" });
          const body = await res.arrayBuffer();
          if (res.status !== 200) errors++;
          bytes = body.byteLength;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    bytes,
  };
}

export function formatLoad(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.requests} requests, ${r.errors} errors, ${r.bytes} bytes`;
}

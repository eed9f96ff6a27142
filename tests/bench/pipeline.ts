import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { sql } from "kysely";
import { completeSpecialMoveIn } from "../../backoffice/pipeline/completion.js";
import type { Actor } from "../../backoffice/register/authorization.js";
import { withDatabase } from "../../db/connect.js";
import { ensureDatabase } from "../../db/embedded.js";
import { tokyoToday } from "../../jobs/juki-net/context.js";
import { loadWorld, type World } from "../../lib/world.js";
import { type Lab, type QueueKind, retrying, sleep, startLab } from "../faults/harness.js";
import { syntheticHouseholds, syntheticWorld } from "../faults/world.js";
import { processCpuSeconds } from "../support/process-cpu.js";

/**
 * Pipeline part of `npm run bench` (issue 5): complete moves per second, from portal submission
 * to 完了 on both sides — portal status 完了 and the 転出 confirmed (除票) at the origin — with every
 * process on this machine: an embedded PostgreSQL, the queue (Redis, then BullMQ's PostgreSQL
 * backend), WORKERS worker processes (`jobs/worker.ts`), the 住基ネット and address-system
 * stand-ins, and this process filing the applications as the portal does and playing the
 * destination's counter (completeSpecialMoveIn, COUNTERS at a time). Moves go between the two
 * hosted municipalities of the world file. In the same run, pgbench's TPC-B-like transactions per
 * second on the same PostgreSQL server (8 clients, 2 threads, 30 s, scale 1 — `pgbench -i`
 * defaults) for scale. Also the p50/p99 time from submission to the portal's 転出受理.
 *
 * BENCH_PIPELINE_MOVES (default 200), BENCH_PIPELINE_WORKERS (default 2), BENCH_PGBENCH_SECONDS
 * (default 30), BENCH_WORKER_NODE_ARGS (node options for
 * the worker processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them).
 */
const MOVES = Number(process.env.BENCH_PIPELINE_MOVES ?? 200);
const WORKERS = Number(process.env.BENCH_PIPELINE_WORKERS ?? 2);
const PGBENCH_SECONDS = Number(process.env.BENCH_PGBENCH_SECONDS ?? 30);
const COUNTERS = 4;
const SUBMITTERS = 4;

interface RunFigures {
  queue: QueueKind;
  moves: number;
  seconds: number;
  movesPerSecond: number;
  acceptedP50: number;
  acceptedP99: number;
  completeP50: number;
  completeP99: number;
  maxConnections: number;
  /** Committed transactions in the juki database during the run, per complete move (all zones). */
  commitsPerMove: number;
  /** CPU seconds per complete move, by process (from /proc), and the machine's cores. */
  cpuPerMove: Record<string, number>;
}

/** CPU seconds so far of each process of the run: this one (portal side, counter, stand-ins), the workers, PostgreSQL, Redis. */
function cpuSnapshot(lab: Lab): Record<string, number> {
  const pids = lab.serverPids();
  const own = process.cpuUsage();
  const out: Record<string, number> = {
    "bench process (filing as the portal, the counter, the 住基ネット / address / IdP stand-ins)":
      (own.user + own.system) / 1e6,
  };
  out.workers = pids.workers.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);
  if (pids.postgres) out.PostgreSQL = processCpuSeconds(pids.postgres, true) ?? 0;
  if (pids.redis) out.Redis = processCpuSeconds(pids.redis) ?? 0;
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface BenchMove {
  applicationId: string;
  origin: string;
  destination: string;
  residentCodes: string[];
  submittedAt: number;
  completedAt?: number;
}

function benchWorld(): { world: World; pairs: [string, string] } {
  const base = loadWorld();
  const hosted = base.municipalities.filter((m) => m.hosted).map((m) => m.lgCode);
  if (hosted.length < 2) throw new Error("pipeline bench: the world file needs two hosted municipalities");
  const [a, b] = hosted as [string, string];
  const per = Math.ceil(MOVES / 2);
  return {
    world: syntheticWorld(base, { households: { [a]: per, [b]: per }, seed: 71, today: tokyoToday() }),
    pairs: [a, b],
  };
}

async function runOnce(
  queue: QueueKind,
  log: (line: string) => void,
): Promise<{ figures: RunFigures; lab: Lab }> {
  const { world, pairs } = benchWorld();
  log(`pipeline (${queue}): starting PostgreSQL, the queue, the stand-ins and ${WORKERS} worker processes…`);
  const lab = await startLab({
    world,
    queue,
    workers: WORKERS,
    // To profile the workers: BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    ...(process.env.BENCH_WORKER_NODE_ARGS
      ? { workerNodeArgs: process.env.BENCH_WORKER_NODE_ARGS.split(/\s+/).filter(Boolean) }
      : {}),
    log: (l) => log(`  ${l}`),
  });
  try {
    const [a, b] = pairs;
    const households = [
      ...syntheticHouseholds(world, a).map((people) => ({ people, origin: a, destination: b })),
      ...syntheticHouseholds(world, b).map((people) => ({ people, origin: b, destination: a })),
    ]
      .sort((x, y) => (x.people[0]!.residentCode < y.people[0]!.residentCode ? -1 : 1))
      .slice(0, MOVES);
    const moves: BenchMove[] = [];
    const clerk = (lgCode: string): Actor => {
      const s = world.staff.find((x) => x.lgCode === lgCode && x.roles.includes("clerk"));
      return { staffId: s?.id ?? `bench-clerk-${lgCode}`, lgCode, roles: ["clerk"] };
    };

    // Committed transactions of the whole system (portal, back office, queue backend when it is
    // PostgreSQL), for the comparison with pgbench: each is a durable commit on the same server.
    const commits = () =>
      retrying(() =>
        sql<{ n: string }>`
          select xact_commit::text as n from pg_stat_database where datname = current_database()`.execute(
          lab.admin,
        ),
      ).then((r) => Number(r.rows[0]!.n));
    const commitsBefore = await commits();
    const cpuBefore = cpuSnapshot(lab);
    const started = Date.now();
    let submitting = true;
    // The portal's side: residents file as fast as SUBMITTERS sessions can.
    const queueOfFilings = [...households];
    const submitters = Array.from({ length: SUBMITTERS }, async () => {
      for (;;) {
        const h = queueOfFilings.shift();
        if (!h) return;
        const submittedAt = Date.now();
        const applicationId = await lab.submit(h.people, h.destination);
        moves.push({
          applicationId,
          origin: h.origin,
          destination: h.destination,
          residentCodes: h.people.map((p) => p.residentCode),
          submittedAt,
        });
      }
    });
    void Promise.all(submitters).then(() => {
      submitting = false;
    });

    // The destination's counter: every waiting reservation completed, COUNTERS at a time.
    const inFlight = new Set<string>();
    const completedAtCounter = new Set<string>();
    let lastLog = Date.now();
    let maxConnections = 0;
    let pollErrors = 0;
    for (;;) {
      const byId = new Map(moves.map((m) => [m.applicationId, m]));
      if (byId.size > 0) {
        try {
          const waiting = await lab.db
            .selectFrom("register.reservation")
            .select(["id", "lg_code", "application_id"])
            .where("status", "=", "waiting")
            .where("application_id", "in", [...byId.keys()])
            .execute();
          for (const r of waiting) {
            if (inFlight.size >= COUNTERS) break;
            const id = r.application_id!;
            if (inFlight.has(id) || completedAtCounter.has(id)) continue;
            inFlight.add(id);
            void completeSpecialMoveIn(
              { db: lab.db, keys: lab.keys, actor: clerk(r.lg_code), today: lab.today },
              { requestKey: `bench:${id}`, lgCode: r.lg_code, reservationId: r.id },
            )
              .then(() => completedAtCounter.add(id))
              .catch((err: unknown) => log(`  counter: ${err instanceof Error ? err.message : String(err)}`))
              .finally(() => inFlight.delete(id));
          }
          // 完了 on both sides: the portal says 完了 and the origin has confirmed the 転出.
          const open = moves.filter((m) => m.completedAt === undefined);
          if (open.length > 0) {
            const done = await sql<{ id: string }>`
            select a.id from portal.application a
            where a.id = any(${open.map((m) => m.applicationId)}::uuid[]) and a.status = 'completed'`.execute(
              lab.admin,
            );
            const removed = await sql<{ code: string }>`
            select resident_code || ':' || lg_code as code from register.resident
            where status = 'removed' and resident_code = any(${open.flatMap((m) => m.residentCodes)})`.execute(
              lab.admin,
            );
            const removedSet = new Set(removed.rows.map((r) => r.code));
            const now = Date.now();
            for (const row of done.rows) {
              const m = byId.get(row.id)!;
              if (m.residentCodes.every((c) => removedSet.has(`${c}:${m.origin}`))) m.completedAt = now;
            }
          }
        } catch (err) {
          // A loaded machine can make a connection wait past its timeout: look again.
          if (pollErrors++ % 20 === 0)
            log(`  poll: ${err instanceof Error ? err.message : String(err)}; retrying`);
        }
      }
      const complete = moves.filter((m) => m.completedAt !== undefined).length;
      if (!submitting && complete === households.length) break;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        const conns = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'`
          .execute(lab.admin)
          .then((r) => r.rows[0]!.n)
          .catch(() => 0);
        maxConnections = Math.max(maxConnections, conns);
        log(
          `  +${((Date.now() - started) / 1000).toFixed(0)} s: ${moves.length} filed, ${completedAtCounter.size} completed at the counter, ${complete}/${households.length} 完了 on both sides (${conns} PostgreSQL connections)`,
        );
      }
      if (Date.now() - started > 15 * 60_000)
        throw new Error(`pipeline bench (${queue}): not done after 15 minutes`);
      await sleep(200);
    }
    const finished = Math.max(...moves.map((m) => m.completedAt!));
    const cpuAfter = cpuSnapshot(lab);
    const cpuPerMove = Object.fromEntries(
      Object.entries(cpuAfter).map(([k, v]) => [k, (v - (cpuBefore[k] ?? 0)) / moves.length]),
    );
    // Statistics reach pg_stat_database within about a second (stats_fetch_consistency aside).
    await sleep(1500);
    const commitsDuring = (await commits()) - commitsBefore;
    const seconds = (finished - started) / 1000;

    const accepted = await retrying(() =>
      sql<{ ms: number }>`
      select extract(epoch from (h.created_at - a.submitted_at)) * 1000 as ms
      from portal.application a join portal.application_status_history h
        on h.application_id = a.id and h.status = 'moveOutAccepted'
      where a.id = any(${moves.map((m) => m.applicationId)}::uuid[])`.execute(lab.admin),
    );
    const acc = accepted.rows.map((r) => Number(r.ms)).sort((x, y) => x - y);
    const comp = moves.map((m) => m.completedAt! - m.submittedAt).sort((x, y) => x - y);
    return {
      lab,
      figures: {
        queue,
        moves: moves.length,
        seconds,
        movesPerSecond: moves.length / seconds,
        acceptedP50: percentile(acc, 50),
        acceptedP99: percentile(acc, 99),
        completeP50: percentile(comp, 50),
        completeP99: percentile(comp, 99),
        maxConnections,
        commitsPerMove: commitsDuring / moves.length,
        cpuPerMove,
      },
    };
  } catch (err) {
    await lab.close();
    throw err;
  }
}

function runPgbench(args: string[], log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("pgbench", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
    });
    child.stderr.on("data", (d) => {
      const s = d.toString();
      out += s;
      for (const line of s.split("\n")) if (/^progress:/.test(line)) log(`  ${line}`);
    });
    child.once("error", (err) =>
      reject(
        new Error(
          `pgbench could not be run (${err.message}); install it with apt-get install -y postgresql-contrib`,
        ),
      ),
    );
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`pgbench exited ${code}: ${out.slice(-800)}`)),
    );
  });
}

async function pgbenchTps(lab: Lab, log: (line: string) => void): Promise<number> {
  await ensureDatabase(withDatabase(lab.adminUrl, "postgres"), "pgbench_scratch");
  const url = withDatabase(lab.adminUrl, "pgbench_scratch");
  log("pgbench: -i (scale 1) into a scratch database on the same server…");
  await runPgbench(["-i", "-q", url], log);
  log(`pgbench: -c 8 -j 2 -T ${PGBENCH_SECONDS} (TPC-B-like)…`);
  const out = await runPgbench(["-c", "8", "-j", "2", "-T", String(PGBENCH_SECONDS), "-P", "10", url], log);
  const tps = /tps = ([\d.]+)/.exec(out);
  if (!tps) throw new Error(`pgbench printed no tps:\n${out.slice(-800)}`);
  return Number(tps[1]);
}

export async function benchPipeline(log: (line: string) => void): Promise<void> {
  const load = () =>
    loadavg()
      .map((n) => n.toFixed(1))
      .join(" ");
  log(
    `pipeline: ${MOVES} moves between the two hosted municipalities, ${WORKERS} worker processes; load average at start ${load()} (anything else running on the machine lowers every figure below)`,
  );
  const redis = await runOnce("redis", log);
  let tps: number;
  try {
    tps = await pgbenchTps(redis.lab, log);
  } finally {
    await redis.lab.close();
  }
  const postgres = await runOnce("postgres", log);
  await postgres.lab.close();

  const f = (n: number, d = 1) => n.toFixed(d);
  log("");
  log(`load average at the end: ${load()}`);
  log("pipeline figures (complete = portal 完了 and 転出 confirmed at the origin):");
  for (const r of [redis.figures, postgres.figures]) {
    log(
      `  ${r.queue === "redis" ? "Redis queue     " : "PostgreSQL queue"}  ${f(r.movesPerSecond, 2)} complete moves/s (${r.moves} in ${f(r.seconds)} s); submission → 転出受理 p50 ${f(r.acceptedP50, 0)} ms, p99 ${f(r.acceptedP99, 0)} ms; submission → complete p50 ${f(r.completeP50 / 1000)} s, p99 ${f(r.completeP99 / 1000)} s; up to ${r.maxConnections} PostgreSQL connections; ${f(r.commitsPerMove, 0)} committed transactions per move (including this bench's polling)`,
    );
  }
  for (const r of [redis.figures, postgres.figures]) {
    const total = Object.values(r.cpuPerMove).reduce((a, b) => a + b, 0);
    log(
      `  CPU per complete move, ${r.queue === "redis" ? "Redis queue" : "PostgreSQL queue"}: ${f(total * 1000, 0)} ms in all (${cpus().length} cores: at most ${f(cpus().length / total, 1)} moves/s if nothing else ran) — ${Object.entries(
        r.cpuPerMove,
      )
        .map(([k, v]) => `${k} ${f(v * 1000, 0)} ms`)
        .join(", ")}`,
    );
  }
  log(`  pgbench TPC-B-like  ${f(tps)} tps (8 clients, same PostgreSQL server)`);
  log(
    `  ratios: Redis / pgbench ${f(redis.figures.movesPerSecond / tps, 4)}, PostgreSQL queue / pgbench ${f(postgres.figures.movesPerSecond / tps, 4)}, Redis / PostgreSQL queue ${f(redis.figures.movesPerSecond / postgres.figures.movesPerSecond, 2)}`,
  );
  const target = 0.25 * tps;
  log(
    `  target: ≥ 0.25 × pgbench = ${f(target)} moves/s on Redis — ${redis.figures.movesPerSecond >= target ? "met" : "MISSED"} (${f(redis.figures.movesPerSecond, 2)} moves/s)`,
  );
}

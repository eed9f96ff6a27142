import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { linkPendingAudit, verifyAuditChain } from "../../backoffice/register/audit.js";
import { actorFromWorld } from "../../backoffice/register/authorization.js";
import { relocation } from "../../backoffice/register/commands/index.js";
import { loadMyNumberKeys } from "../../backoffice/register/my-number.js";
import { benchSearch, type LatencyFigures } from "../../backoffice/register/search.bench.js";
import { findByResidentCode } from "../../backoffice/register/search.queries.js";
import { loadSyntheticResidents } from "../../backoffice/register/synthetic.js";
import { createDb, withCredentials, withDatabase } from "../../db/connect.js";
import { ensureDatabase, startEmbeddedPostgres } from "../../db/embedded.js";
import { migrateToLatest } from "../../db/migrate.js";
import { ROLES } from "../../db/roles.js";
import { seedMunicipalities } from "../../db/seed.js";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { loadWorld } from "../../lib/world.js";
import { freePort } from "../support/free-port.js";

/**
 * Register part of `npm run bench`: load BENCH_RESIDENTS synthetic residents (default
 * 1,000,000) with COPY into a fresh embedded PostgreSQL (a bulk load: a municipality's first), then four-item search p50/p99,
 * 住民票コード look-up p99 (each call as staff make it: authorized, audited, committed), and
 * single-change commands (転居) per second with durable commits (synchronous_commit on).
 * Targets (issue 3): load ≤ 120 s, search p99 ≤ 20 ms, look-up p99 ≤ 2 ms.
 */
const RESIDENTS = Number(process.env.BENCH_RESIDENTS ?? 1_000_000);
const LG_CODE = "131075";

export async function benchRegister(log: (line: string) => void): Promise<void> {
  const world = loadWorld();
  const municipality = world.municipalities.find((m) => m.lgCode === LG_CODE && m.hosted);
  if (!municipality)
    throw new Error(`register bench: ${LG_CODE} is not a hosted municipality of the world file`);
  const clerk = world.staff.find((s) => s.lgCode === LG_CODE && s.roles.includes("clerk"));
  if (!clerk) throw new Error(`register bench: no clerk of ${LG_CODE} in the world file`);

  const dataDir = mkdtempSync(path.join(tmpdir(), "juki-bench-register-"));
  const pgServer = await startEmbeddedPostgres({
    dir: path.join(dataDir, "postgres"),
    port: await freePort(),
    password: randomBytes(12).toString("hex"),
  });
  try {
    await ensureDatabase(pgServer.adminUrl, "bench");
    const adminUrl = withDatabase(pgServer.adminUrl, "bench");
    const passwords = { portal: randomUUID(), backoffice: randomUUID(), queue: randomUUID() };
    await migrateToLatest(adminUrl, passwords);
    const officeUrl = withCredentials(adminUrl, ROLES.backoffice, passwords.backoffice);
    const db = createDb<BackofficeDatabase>(officeUrl, { max: 4 });
    await seedMunicipalities(db, world);
    const keys = loadMyNumberKeys({ DATA_DIR: dataDir });
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());

    // Server settings for a bulk load (as an operator would set them for a municipality's first
    // load): checkpoints far apart, so that the load's WAL does not force one every gigabyte.
    const admin = createDb<unknown>(adminUrl, { max: 1 });
    await sql`alter system set max_wal_size = '8GB'`.execute(admin);
    await sql`select pg_reload_conf()`.execute(admin);

    log(
      `register: loading ${RESIDENTS.toLocaleString("en")} synthetic residents into ${municipality.name} with COPY (bulk: indexes and constraints rebuilt after the COPY)…`,
    );
    // A bulk load drops and rebuilds the register tables' indexes: it needs their owner.
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    let lastShown = 0;
    const phases: string[] = [];
    const cpu0 = process.cpuUsage();
    const loaded = await loadSyntheticResidents(client, {
      lgCode: LG_CODE,
      count: RESIDENTS,
      seed: 42,
      today,
      keys,
      bulk: true,
      onProgress: (done, total, ms) => {
        if (ms - lastShown >= 10_000 || done === total) {
          lastShown = ms;
          log(`  ${done.toLocaleString("en")} / ${total.toLocaleString("en")} (${(ms / 1000).toFixed(0)} s)`);
        }
      },
      onPhase: (phase, ms) => phases.push(`${phase} ${(ms / 1000).toFixed(1)} s`),
    });
    const cpu = process.cpuUsage(cpu0);
    await client.end();
    // Fresh statistics and the visibility map (index-only scans of the name search), as after
    // any bulk load (autovacuum would do the same a little later); then a checkpoint, so that
    // the measurements below do not share the disk with the load's dirty pages.
    const t0 = performance.now();
    await sql`vacuum (analyze) register.resident, register.household, register.resident_change`.execute(
      admin,
    );
    await sql`checkpoint`.execute(admin);
    const vacuumSeconds = (performance.now() - t0) / 1000;
    await admin.destroy();

    const actor = actorFromWorld(world, clerk.id);
    log("register: searching (400 samples)…");
    const search = await benchSearch(db, { lgCode: LG_CODE, actor, samples: 400 });

    log(
      "register: 住民票コード look-ups for reference (not the figure): no audit row; audit row committed asynchronously…",
    );
    const reference = await lookupReference(db, officeUrl, actor);

    log("register: 転居 commands, one at a time, durable commits, 10 s…");
    const commands = await benchRelocations(db, keys, actor, today, 10);
    // Every view above was audited with an unlinked row; link what the commands have not, and
    // walk the whole chain.
    const linked = await linkPendingAudit(db);
    let unlinked = -1;
    const chain = await verifyAuditChain(db, {
      onUnlinked: (n) => {
        unlinked = n;
      },
    });
    await db.destroy();

    const fmt = (f: LatencyFigures) => `p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms (n=${f.n})`;
    log("");
    log(
      `register, ${loaded.residents.toLocaleString("en")} residents in ${loaded.households.toLocaleString("en")} households:`,
    );
    log(
      `  load with COPY            ${(loaded.elapsedMs / 1000).toFixed(1)} s, ${loaded.rowsPerSecond.toFixed(0)} residents/s   (target ≤ 120 s for 1,000,000)`,
    );
    log(`    phases: ${phases.join(", ")}`);
    log(
      `    CPU of this process (generation, all threads) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; load average after ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} on ${availableParallelism()} CPUs`,
    );
    log(`    then vacuum (analyze) and checkpoint ${vacuumSeconds.toFixed(1)} s (not counted in the load)`);
    log(
      `  four-item search          ${fmt(search.fourItem)}   (target p99 ≤ 20 ms); first page missed the person ${search.misses}×`,
    );
    for (const [shape, f] of Object.entries(search.byShape)) log(`    ${shape.padEnd(24)}${fmt(f)}`);
    log(`  住民票コード look-up       ${fmt(search.residentCode)}   (target p99 ≤ 2 ms)`);
    log(`    reference: the read alone, no audit row       ${fmt(reference.readOnly)}`);
    log(
      `    reference: audit row, synchronous_commit off  ${fmt(reference.asyncCommit)}   (not used: see decision 010)`,
    );
    log(
      `  転居 commands             ${commands.perSecond.toFixed(1)} /s, p99 ${commands.p99.toFixed(1)} ms (${commands.n} commands, durable commits)`,
    );
    log(
      `  audit chain               ${chain.ok ? `verified, ${chain.rows.toLocaleString("en")} rows` : `BROKEN at id ${chain.firstBrokenId}`}; ${linked} view rows linked at the end, ${unlinked} left unlinked`,
    );
    if (!chain.ok) throw new Error("register bench: the audit chain does not verify");
  } finally {
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One-person households relocated one after another, each its own command and commit. */
async function benchRelocations(
  db: ReturnType<typeof createDb<BackofficeDatabase>>,
  keys: ReturnType<typeof loadMyNumberKeys>,
  actor: ReturnType<typeof actorFromWorld>,
  today: string,
  seconds: number,
): Promise<{ n: number; perSecond: number; p99: number }> {
  const singles = await sql<{ id: string; town: string }>`
    select r.id, r.town from register.resident r
    where r.lg_code = ${LG_CODE} and r.status = 'active'
      and (select count(*) from register.resident o where o.household_id = r.household_id and o.status = 'active') = 1
    limit 5000`.execute(db);
  const latencies: number[] = [];
  const started = performance.now();
  for (const person of singles.rows) {
    if (performance.now() - started > seconds * 1000) break;
    const t0 = performance.now();
    await relocation(
      { db, keys, actor, today },
      {
        requestKey: randomUUID(),
        lgCode: LG_CODE,
        residentIds: [person.id],
        movedOn: today,
        notifiedOn: today,
        address: { town: person.town, chome: 1, block: 1 + (latencies.length % 40), lot: 1 },
        household: { kind: "same" },
      },
    );
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    perSecond: latencies.length / elapsed,
    p99: latencies[Math.min(latencies.length - 1, Math.floor(0.99 * latencies.length))] ?? 0,
  };
}

/**
 * Where a look-up's time goes, for reference (decision 010): the same read without its audit row,
 * and the real look-up on a connection whose commits do not wait for the WAL flush. Neither is
 * how the register runs.
 */
async function lookupReference(
  db: ReturnType<typeof createDb<BackofficeDatabase>>,
  officeUrl: string,
  actor: ReturnType<typeof actorFromWorld>,
): Promise<{ readOnly: LatencyFigures; asyncCommit: LatencyFigures }> {
  const drawn = await sql<{ resident_code: string }>`
    select resident_code from register.resident where lg_code = ${LG_CODE} and status = 'active'
    order by random() limit 400`.execute(db);
  const asyncUrl = new URL(officeUrl);
  asyncUrl.searchParams.set("options", "-c synchronous_commit=off");
  const asyncDb = createDb<BackofficeDatabase>(asyncUrl.toString(), { max: 1 });
  const readOnly: number[] = [];
  const asyncCommit: number[] = [];
  try {
    for (const { resident_code } of drawn.rows) {
      let t = performance.now();
      await sql`select r.id, r.family_name, r.given_name, r.birth_date, r.address_line from register.resident r
        where r.lg_code = ${LG_CODE} and r.resident_code = ${resident_code}
          and r.status in ('active', 'moveOutScheduled') limit 1`.execute(db);
      readOnly.push(performance.now() - t);
      t = performance.now();
      await findByResidentCode(asyncDb, {
        lgCode: LG_CODE,
        actor,
        purpose: "性能測定（bench, 参考）",
        residentCode: resident_code,
      });
      asyncCommit.push(performance.now() - t);
    }
  } finally {
    await asyncDb.destroy();
  }
  return { readOnly: latency(readOnly), asyncCommit: latency(asyncCommit) };
}

function latency(ms: number[]): LatencyFigures {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
}

// What the stale-execution reaper costs: the idle sweep every instance runs each
// EXECUTION_REAPER_INTERVAL, with and without the in-flight created_at index,
// beside the bare SELECT of the same rows; and reaping a backlog with one
// reaper and with two at once.
//   npx tsx bench/reaper.ts                   1 000 000 executions, 1 % in flight
//   BENCH_SCALE=0.1 npx tsx bench/reaper.ts   a tenth of that
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createSql, type Sql } from '../src/db/client.js';
import { ExecutionReaper } from '../src/executions/reaper.js';
import { createLogger } from '../src/logger.js';
import { benchDatabase, latency, ms, ratio } from './lib.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be a fraction in (0, 1]');
const EXECUTIONS = Math.round(1_000_000 * scale);
const SAMPLES = 300;

const db = await benchDatabase('reaper');
const pools: Sql[] = [];
function reaper(timeout: string): ExecutionReaper {
  const services: Services = {
    sql: createSql(db.url, 2),
    config: loadConfig({ DATABASE_URL: db.url, EXECUTION_RESULT_TIMEOUT: timeout }),
    log: createLogger('silent'),
  };
  pools.push(services.sql);
  return new ExecutionReaper(services);
}

/** Reaps until nothing is left; returns the wall time and how many were reaped. */
async function drain(reapers: ExecutionReaper[]) {
  const started = performance.now();
  const counts = await Promise.all(
    reapers.map(async (r) => {
      let total = 0;
      for (let batch = await r.sweep(); batch.length > 0; batch = await r.sweep()) total += batch.length;
      return total;
    }),
  );
  return { ms: performance.now() - started, reaped: counts.reduce((a, b) => a + b, 0) };
}

/** Puts the reaped executions back in flight, so the backlog can be reaped again. */
async function unreap() {
  await db.sql`
    update executions set status = case when result_count = 0 then 'PENDING' else 'RUNNING' end,
      finished_at = null, finish_reason = null, failed_count = 0, unreported_count = 0
    where finish_reason is not null`;
  await db.sql`delete from audit_log`;
  await db.sql`vacuum analyze executions`;
}

try {
  const loading = performance.now();
  // One execution a second going back ~11 days at full scale; 1 % in flight, half of those RUNNING.
  await db.sql`
    insert into executions (job_id, version, initiated_by, target_count, result_count, status, created_at, finished_at)
    select 'job-' || (i % 1000), '1', 'bench', 10,
           case when i % 200 = 0 then 3 when i % 100 = 0 then 0 else 10 end,
           case when i % 200 = 0 then 'RUNNING' when i % 100 = 0 then 'PENDING'
                when i % 10 = 0 then 'FAILED' else 'COMPLETED' end,
           now() - make_interval(secs => i / ${scale}::float8), case when i % 100 = 0 then null else now() end
    from generate_series(1, ${EXECUTIONS}) as i`;
  await db.sql`vacuum analyze executions`;
  const { inFlight, overdue } = (await db.sql<{ inFlight: number; overdue: number }[]>`
    select count(*)::int as "inFlight", count(*) filter (where created_at <= now() - interval '24 hours')::int as overdue
    from executions where status in ('PENDING', 'RUNNING')`)[0]!;
  console.log(`loaded ${EXECUTIONS} executions (${inFlight} in flight, ${overdue} of them older than 24h) in ${ms(performance.now() - loading)} (BENCH_SCALE=${scale})`);

  // The idle sweep: nothing is older than 30 days.
  const idle = reaper('30d');
  const bareSelect = () => db.sql`
    select id from executions
    where status in ('PENDING', 'RUNNING') and created_at <= now() - interval '30 days'
    order by created_at, id limit 1000`;
  const withIndex = await latency(SAMPLES, () => idle.sweep());
  const bare = await latency(SAMPLES, bareSelect);
  await db.sql`drop index executions_in_flight_created_at_idx`;
  await db.sql`analyze executions`;
  const withoutIndex = await latency(Math.ceil(SAMPLES / 5), () => idle.sweep());
  await db.sql`create index executions_in_flight_created_at_idx on executions (created_at) where status in ('PENDING', 'RUNNING')`;
  await db.sql`analyze executions`;
  console.log(`idle sweep (nothing overdue), ${SAMPLES} sequential sweeps:`);
  console.log(`  sweep                p50 ${ms(withIndex.p50)}  p99 ${ms(withIndex.p99)}`);
  console.log(`  bare SELECT          p50 ${ms(bare.p50)}  p99 ${ms(bare.p99)}   (same rows, no transaction, no lock)`);
  console.log(`  ratio                p50 ${ratio(withIndex.p50, bare.p50)}  p99 ${ratio(withIndex.p99, bare.p99)}`);
  console.log(`  sweep without index  p50 ${ms(withoutIndex.p50)}  p99 ${ms(withoutIndex.p99)}   (${ratio(withoutIndex.p50, withIndex.p50)} the indexed p50)`);

  // The backlog: every in-flight execution older than 24h, in sweeps of 1 000.
  const one = await drain([reaper('24h')]);
  await unreap();
  const two = await drain([reaper('24h'), reaper('24h')]);
  const audited = (await db.sql<{ n: number }[]>`select coalesce(sum((details->>'count')::int), 0)::int as n from audit_log`)[0]!.n;
  if (one.reaped !== overdue || two.reaped !== overdue || audited !== overdue) {
    throw new Error(`wrong count: ${one.reaped} and ${two.reaped} reaped, ${audited} audited, ${overdue} overdue`);
  }
  console.log(`reaping a backlog of ${overdue} overdue executions:`);
  console.log(`  one reaper   ${ms(one.ms)}  (${Math.round(overdue / (one.ms / 1000))} executions/s)`);
  console.log(`  two reapers  ${ms(two.ms)}  (${ratio(two.ms, one.ms)} one reaper's time; each execution reaped once)`);
} finally {
  for (const pool of pools) await pool.end();
  await db.close();
}

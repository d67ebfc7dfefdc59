// PgBouncer in transaction mode against a direct connection (issue 25,
// docs/scaling.md): the same opsgraph, one process per target, on one
// database, under the same HTTP load (bench/load.ts, autocannon in its own
// process), the targets taking turns round by round:
//
//   direct               DATABASE_URL straight to PostgreSQL (prepared statements on, the default)
//   direct, unprepared   the same with DATABASE_PREPARED_STATEMENTS=off: what turning them off costs by itself
//   direct, unpipelined  unprepared, and DATABASE_MAX_PIPELINE=0: what the pooler's settings cost without the pooler
//   pooler               DATABASE_URL through PgBouncer (deploy/pgbouncer.ini, transaction mode),
//                        DATABASE_DIRECT_URL to PostgreSQL; prepared statements and pipelining on auto (so off)
//
// For each, req/s, p50/p99, and CPU per request of the server, of pgbouncer and
// of PostgreSQL (its postmaster's children, read from /proc: the embedded
// PostgreSQL by default, which runs nothing else), each as a ratio to direct
// within the round; prints the median and the range over the rounds.
//
//   npx tsx bench/pooler.ts
//   POOLER_ROUNDS=4  POOLER_DURATION=10 (s)  POOLER_CONNECTIONS=32  BENCH_SCALE=0.01 (the dataset)
//   POOLER_TARGETS="direct,pooler"  POOLER_QUERIES="failureCount(1h),recordScan"
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { signToken } from '../src/auth/tokens.js';
import { startPgbouncer } from '../scripts/fleet/pgbouncer.js';
import { datasetSize, loadDataset } from './dataset.js';
import { benchDatabase, SECRET, startServerProcess, type ServerProcess } from './lib.js';
import type { LoadRequest, LoadResult } from './load.js';

const ROUNDS = Number(process.env.POOLER_ROUNDS ?? 4);
const SECONDS = Number(process.env.POOLER_DURATION ?? 10);
const CONNECTIONS = Number(process.env.POOLER_CONNECTIONS ?? 32);
const SCALE = Number(process.env.BENCH_SCALE ?? 0.01);
const only = (name: string) => process.env[name]?.split(',').map((s) => s.trim());

const QUERIES = [
  { name: 'failureCount(1h)', role: 'VIEWER' as const, query: '{ failureCount(since: "1h") { count asOf } }' },
  { name: 'scanStats', role: 'VIEWER' as const, query: '{ scanStats { stats { scanType count } total updatedAt } }' },
  { name: 'recordScan', role: 'OPERATOR' as const, query: 'mutation { recordScan(input: { scanType: "pooler_bench", subjectId: "host-1" }) { id } }' },
].filter((q) => !only('POOLER_QUERIES') || only('POOLER_QUERIES')!.includes(q.name));

const TICKS = 100; // USER_HZ
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0; // exited meanwhile
  }
}
/**
 * CPU seconds of the postmaster and each of its children (backends, walwriter, …), by pid. A child that
 * exits takes its time with it (connections must persist), and one that starts counts from zero: so a
 * round adds up pid by pid, never the totals (an autovacuum worker leaving made a total go backwards).
 */
function postgresCpu(postmaster: number): Map<number, number> {
  const byPid = new Map([[postmaster, cpuOf(postmaster)]]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(stat[1]) === postmaster) byPid.set(Number(entry), (Number(stat[11]) + Number(stat[12])) / TICKS);
    } catch {}
  }
  return byPid;
}
const postgresCpuSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, cpu]) => sum + cpu - (before.get(pid) ?? 0), 0);

const loadProcess = fork(new URL('./load.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
const load = (request: LoadRequest) =>
  new Promise<LoadResult>((resolve) => {
    loadProcess.once('message', (r) => resolve(r as LoadResult));
    loadProcess.send(request);
  });

const db = await benchDatabase('pooler');
const size = datasetSize(SCALE);
await loadDataset(db.sql, size);
const [{ data_directory }] = (await db.sql`select current_setting('data_directory') as data_directory`) as unknown as [{ data_directory: string }];
let postmaster: number | null = null;
try {
  postmaster = Number(readFileSync(`${data_directory}/postmaster.pid`, 'utf8').split('\n')[0]);
} catch {
  console.log('the postmaster is not readable here (another machine?): PostgreSQL CPU left out');
}
const [{ version }] = (await db.sql`select version()`) as unknown as [{ version: string }];
const bouncer = await startPgbouncer(db.url, { mode: 'transaction' });

interface Target {
  name: string;
  server: ServerProcess;
}
const common = { LOG_LEVEL: 'info', NODE_ENV: 'production', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off', DATABASE_POOL_MAX: '10' };
// Connections stay open for the whole run, so that PostgreSQL's CPU is read from live backends.
const targets: Target[] = [];
const want = only('POOLER_TARGETS') ?? ['direct', 'direct, unprepared', 'direct, unpipelined', 'pooler'];
const flags = ['--max-semi-space-size=64'];
if (want.includes('direct')) targets.push({ name: 'direct', server: await startServerProcess(db.url, common, flags) });
if (want.includes('direct, unprepared'))
  targets.push({ name: 'direct, unprepared', server: await startServerProcess(db.url, { ...common, DATABASE_PREPARED_STATEMENTS: 'off' }, flags) });
if (want.includes('direct, unpipelined'))
  targets.push({
    name: 'direct, unpipelined',
    server: await startServerProcess(db.url, { ...common, DATABASE_PREPARED_STATEMENTS: 'off', DATABASE_MAX_PIPELINE: '0' }, flags),
  });
if (want.includes('pooler'))
  targets.push({ name: 'pooler', server: await startServerProcess(bouncer.url(db.url), { ...common, DATABASE_DIRECT_URL: db.url }, flags) });

const tokens = { VIEWER: await signToken(SECRET, 'pooler-viewer', 'VIEWER', 86_400), OPERATOR: await signToken(SECRET, 'pooler-operator', 'OPERATOR', 86_400) };

interface Row {
  round: number;
  query: string;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  server: number; // CPU ms per request
  pgbouncer: number;
  postgres: number | null;
}
const rows: Row[] = [];
const loadAtStart = loadavg();

async function measure(target: Target, q: (typeof QUERIES)[number], seconds: number, round: number) {
  const request: LoadRequest = {
    url: `${target.server.base}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[q.role]}` },
    body: JSON.stringify({ query: q.query }),
    connections: CONNECTIONS,
    seconds,
  };
  const pid = target.server.process.pid!;
  const before = { server: cpuOf(pid), bouncer: cpuOf(bouncer.pid), pg: postmaster ? postgresCpu(postmaster) : null };
  const result = await load(request);
  const after = { server: cpuOf(pid), bouncer: cpuOf(bouncer.pid), pg: postmaster ? postgresCpu(postmaster) : null };
  if (round === 0) return;
  if (result.failures > 0) throw new Error(`${target.name} ${q.name}: ${result.failures} failed of ${result.requests}`);
  const per = (a: number, b: number) => ((a - b) * 1000) / result.requests;
  const row: Row = {
    round,
    query: q.name,
    target: target.name,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    server: per(after.server, before.server),
    pgbouncer: per(after.bouncer, before.bouncer),
    postgres: after.pg && before.pg ? per(postgresCpuSince(before.pg, after.pg), 0) : null,
  };
  rows.push(row);
  console.log(
    `round ${round}  ${q.name.padEnd(17)} ${target.name.padEnd(19)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  ` +
      `CPU ms/request: server ${row.server.toFixed(3)}, pgbouncer ${row.pgbouncer.toFixed(3)}, PostgreSQL ${row.postgres?.toFixed(3) ?? '–'}`,
  );
}

try {
  console.log(`bench/pooler  ${version.split(' on ')[0]}, ${size.events} events; PgBouncer transaction mode (deploy/pgbouncer.ini) on port ${bouncer.port}`);
  console.log(`load average at start: ${loadAtStart.map((n) => n.toFixed(2)).join(' ')}`);
  for (const q of QUERIES) for (const t of targets) await measure(t, q, 3, 0); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    for (const q of QUERIES) {
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const t of order) await measure(t, q, SECONDS, round);
    }
  }
} finally {
  loadProcess.kill();
  for (const t of targets) await t.server.stop();
  await bouncer.stop();
  await db.close();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[]) => `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
console.log(`\nload average at the end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
console.log('\nMedians over the rounds:\n');
console.log('| query | target | req/s | p50 / p99 ms | CPU ms per request: server | pgbouncer | PostgreSQL | all three |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const q of QUERIES) {
  for (const t of targets) {
    const r = rows.filter((x) => x.query === q.name && x.target === t.name);
    const all = r.map((x) => x.server + x.pgbouncer + (x.postgres ?? 0));
    console.log(
      `| ${q.name} | ${t.name} | ${median(r.map((x) => x.rps)).toFixed(0)} | ${median(r.map((x) => x.p50))} / ${median(r.map((x) => x.p99))} | ` +
        `${median(r.map((x) => x.server)).toFixed(3)} | ${median(r.map((x) => x.pgbouncer)).toFixed(3)} | ${r[0]!.postgres === null ? '–' : median(r.map((x) => x.postgres!)).toFixed(3)} | ${median(all).toFixed(3)} |`,
    );
  }
}
console.log('\nRatios to direct, per round (median, range):\n');
console.log('| query | target | req/s | server CPU per request | server + pgbouncer + PostgreSQL CPU per request | p99 |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const q of QUERIES) {
  for (const t of targets) {
    if (t.name === 'direct') continue;
    const ratios = { rps: [] as number[], server: [] as number[], all: [] as number[], p99: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      const a = rows.find((x) => x.round === round && x.query === q.name && x.target === t.name);
      const d = rows.find((x) => x.round === round && x.query === q.name && x.target === 'direct');
      if (!a || !d) continue;
      ratios.rps.push(a.rps / d.rps);
      ratios.server.push(a.server / d.server);
      ratios.all.push((a.server + a.pgbouncer + (a.postgres ?? 0)) / (d.server + d.pgbouncer + (d.postgres ?? 0)));
      ratios.p99.push(a.p99 / d.p99);
    }
    if (ratios.rps.length) console.log(`| ${q.name} | ${t.name} ÷ direct | ${fmt(ratios.rps)} | ${fmt(ratios.server)} | ${fmt(ratios.all)} | ${fmt(ratios.p99)} |`);
  }
}

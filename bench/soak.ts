// Soak: a mixed load of queries and mutations against a server process for
// SOAK_DURATION (default 10m) while 200 subscribers stay connected. Prints the
// error rate, p99 latency, and the server's RSS at the start and at the end.
//   npx tsx bench/soak.ts            SOAK_DURATION=1m npx tsx bench/soak.ts
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signToken } from '../src/auth/tokens.js';
import { parseDuration } from '../src/duration.js';
import { benchDatabase, percentile, SECRET, startServerProcess } from './lib.js';

const DURATION_MS = parseDuration(process.env.SOAK_DURATION ?? '10m')!;
const SUBSCRIBERS = 200;
const WORKERS = 8;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const OPERATIONS: { query: string; variables?: () => Record<string, unknown> }[] = [
  { query: '{ dashboard { deadLetterCount failedNotificationCount jobsRunning jobsPending failureCount { count } scanStats { total } } }' },
  { query: '{ failureCount(since: "24h") { count asOf } }' },
  { query: '{ jobs { id live { running pending } } }' },
  { query: '{ notifications(first: 20) { totalCount nodes { id status } } }' },
  { query: 'mutation($i: RecordScanInput!) { recordScan(input: $i) { id } }', variables: () => ({ i: { scanType: 'checkin', subjectId: `s${Math.random()}` } }) },
  { query: 'mutation($i: RecordOrchestratorEventInput!) { recordOrchestratorEvent(input: $i) { id } }', variables: () => ({ i: { kind: 'TRAFFIC', success: Math.random() < 0.8 } }) },
  { query: 'mutation($i: SendNotificationInput!) { sendNotification(input: $i) { id } }', variables: () => ({ i: { channel: 'LOG', recipient: 'ops', subject: 'soak', body: 'x' } }) },
  { query: 'mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }', variables: () => ({ i: { jobId: 'soak-job', targetCount: 1 } }) },
];

const db = await benchDatabase('soak');
const server = await startServerProcess(db.url, { LOG_LEVEL: 'warn' });
const url = `${server.base}/graphql`;
try {
  const token = await signToken(SECRET, 'soak', 'SUPERADMIN', 86_400);
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { errors?: unknown[] };
    return res.ok && !body.errors;
  };
  await post('mutation { upsertJob(input: { id: "soak-job", version: "1" }) { id } }');

  let pushes = 0;
  const clients = Array.from({ length: SUBSCRIBERS / 2 }, () =>
    createClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } }),
  );
  for (const client of clients) {
    client.subscribe({ query: 'subscription { dashboard { deadLetterCount jobsPending failureCount { count } scanStats { total } } }' }, { next: () => pushes++, error: () => {}, complete: () => {} });
    client.subscribe({ query: 'subscription { failureCount(since: "15m") { count } }' }, { next: () => pushes++, error: () => {}, complete: () => {} });
  }

  const windows: { at: number; latencies: number[]; errors: number; requests: number }[] = [];
  let current = { at: Date.now(), latencies: [] as number[], errors: 0, requests: 0 };
  const deadline = Date.now() + DURATION_MS;
  const sampler = setInterval(() => {
    windows.push(current);
    current = { at: Date.now(), latencies: [], errors: 0, requests: 0 };
  }, 10_000);
  // "Start" is after a warm-up (JIT, pools, caches), so growth means a leak, not start-up.
  let rssStart = 0;
  const warmup = setTimeout(() => (rssStart = rssOf(server.process.pid!)), Math.min(30_000, DURATION_MS / 5));
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let i = worker; Date.now() < deadline; i++) {
        const op = OPERATIONS[i % OPERATIONS.length]!;
        const started = performance.now();
        const ok = await post(op.query, op.variables?.()).catch(() => false);
        current.latencies.push(performance.now() - started);
        current.requests++;
        if (!ok) current.errors++;
      }
    }),
  );
  clearInterval(sampler);
  clearTimeout(warmup);
  windows.push(current);
  const rssEnd = rssOf(server.process.pid!);
  const all = windows.flatMap((w) => w.latencies);
  const requests = windows.reduce((n, w) => n + w.requests, 0);
  const errors = windows.reduce((n, w) => n + w.errors, 0);
  const first = windows[0]!.latencies;
  const last = windows.at(-1)!.latencies.length > 50 ? windows.at(-1)!.latencies : windows.at(-2)!.latencies;
  console.log(`soak: ${DURATION_MS / 1000} s, ${WORKERS} request loops, ${SUBSCRIBERS} subscriptions (${pushes} pushes received)`);
  console.log(`  requests ${requests}  (${Math.round(requests / (DURATION_MS / 1000))}/s)  errors ${errors}  error rate ${((errors / requests) * 100).toFixed(3)} %`);
  console.log(`  latency p50 ${percentile(all, 50).toFixed(1)} ms  p99 ${percentile(all, 99).toFixed(1)} ms  (first 10 s p99 ${percentile(first, 99).toFixed(1)} ms, last 10 s p99 ${percentile(last, 99).toFixed(1)} ms)`);
  console.log(`  server RSS after warm-up ${(rssStart / 1e6).toFixed(0)} MB  end ${(rssEnd / 1e6).toFixed(0)} MB  growth ${(((rssEnd - rssStart) / rssStart) * 100).toFixed(1)} %`);
  for (const client of clients) await client.dispose();
} finally {
  await server.stop();
  await db.close();
}

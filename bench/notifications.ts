// Delivery throughput of the notification worker: N PENDING webhooks to a
// local receiver, drained by one worker and then by two workers on one
// database, beside the same number of bare HTTP POSTs with no database at all.
// Then the backlog case: BENCH_BACKLOG (default 50 000) FAILED rows all due at
// once, as a webhook receiver's outage leaves them, drained by the worker's own
// sweep (one instance, then two): time to drain and deliveries per second,
// against the plain delivery rate of the same run. Last, the backlog drained by
// one worker with webhooks signed (Standard Webhooks, as every server signs)
// and unsigned, in the order signed, unsigned, unsigned, signed: the ratio of
// the two rates (issue 26; at least 0.9×).
//   npx tsx bench/notifications.ts          (BENCH_SCALE=0.1 for a tenth; BENCH_BACKLOG=5000 for a smaller backlog)
//   BENCH_ONLY=signing npx tsx bench/notifications.ts    (only the signed/unsigned backlog drains)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { NotificationWorker } from '../src/notifications/worker.js';
import { benchDatabase, ratio } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const N = Math.max(100, Math.round(10_000 * SCALE));
const IN_FLIGHT = 16; // the worker's default concurrency
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 50_000);
const ONLY_SIGNING = process.env.BENCH_ONLY === 'signing';

const db = await benchDatabase('notifications');
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return N / ((performance.now() - started) / 1000);
}

/** The same POSTs the webhook channel makes, IN_FLIGHT at a time, with no database. */
async function barePosts(): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) {
        const id = String(next++);
        const res = await fetch(hookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, subject: `alert ${id}`, body: 'disk almost full' }),
        });
        await res.arrayBuffer();
      }
    }),
  );
}

async function deliverWith(workerCount: number): Promise<number> {
  await db.sql`truncate notifications`;
  await db.sql`
    insert into notifications (channel, recipient, subject, body)
    select 'WEBHOOK', ${hookUrl}, 'alert ' || g, 'disk almost full' from generate_series(1, ${N}) g`;
  await db.sql`vacuum analyze notifications`;
  // The receiver is on loopback, which webhooks may reach only when allowed.
  const config = loadConfig({ DATABASE_URL: db.url, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
  const pools = Array.from({ length: workerCount }, () => createSql(db.url, 4));
  const workers = pools.map((sql, i) => new NotificationWorker({ sql, config, log: createLogger('silent') }, { id: `bench-${i}` }));
  try {
    const perSecond = await timed(() => Promise.all(workers.map((w) => w.drain('pending'))));
    const { sent } = (await db.sql<{ sent: number }[]>`select count(*)::int as sent from notifications where status = 'SENT'`)[0]!;
    if (sent !== N) throw new Error(`only ${sent} of ${N} notifications were SENT`);
    return perSecond;
  } finally {
    await Promise.all(pools.map((sql) => sql.end()));
  }
}

/**
 * BACKLOG due FAILED rows, drained by `workerCount` workers each running one sweep, as its loop would;
 * `sign` false only for the unsigned baseline (every server signs).
 */
async function drainBacklog(workerCount: number, sign = true): Promise<{ seconds: number; perSecond: number }> {
  await db.sql`truncate notifications`;
  await db.sql`
    insert into notifications (channel, recipient, subject, body, status, retry_count, next_retry_at, last_error)
    select 'WEBHOOK', ${hookUrl}, 'alert ' || g, 'disk almost full', 'FAILED', 3, now() - interval '1 minute', 'connect ECONNREFUSED'
    from generate_series(1, ${BACKLOG}) g`;
  await db.sql`vacuum analyze notifications`;
  const config = loadConfig({ DATABASE_URL: db.url, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }); // the default 2m NOTIFICATION_RETRY_INTERVAL; the sink is on loopback
  const pools = Array.from({ length: workerCount }, () => createSql(db.url, 4));
  const workers = pools.map((sql, i) => new NotificationWorker({ sql, config, log: createLogger('silent') }, { id: `backlog-${i}`, sign }));
  try {
    const started = performance.now();
    await Promise.all(workers.map((w) => w.sweep()));
    const seconds = (performance.now() - started) / 1000;
    const { left } = (await db.sql<{ left: number }[]>`select count(*)::int as left from notifications where status <> 'SENT'`)[0]!;
    if (left !== 0) throw new Error(`${left} of ${BACKLOG} notifications were not SENT after one sweep`);
    return { seconds, perSecond: BACKLOG / seconds };
  } finally {
    await Promise.all(pools.map((sql) => sql.end()));
  }
}

const row = (label: string, perSecond: number, vs: string) => console.log(`  ${label.padEnd(42)} ${perSecond.toFixed(0).padStart(7)}/s  ${vs}`);

/** One worker's backlog drain, signed and unsigned, ABBA so that a drift of the machine's load cancels. */
async function signingCost(): Promise<void> {
  const runs: { sign: boolean; seconds: number; perSecond: number }[] = [];
  for (const sign of [true, false, false, true]) runs.push({ sign, ...(await drainBacklog(1, sign)) });
  const total = (sign: boolean) => runs.filter((r) => r.sign === sign).reduce((sum, r) => sum + r.seconds, 0);
  const rate = (sign: boolean) => (2 * BACKLOG) / total(sign);
  console.log(`signing: ${BACKLOG} FAILED webhooks due at once, one worker, one sweep each, in the order signed, unsigned, unsigned, signed`);
  for (const r of runs) row(`${r.sign ? 'signed' : 'unsigned'}: drained in ${r.seconds.toFixed(1)} s`, r.perSecond, '');
  row('signed, both runs', rate(true), `${ratio(rate(true), rate(false))} of unsigned`);
  row('unsigned, both runs', rate(false), '');
}

try {
  if (ONLY_SIGNING) await signingCost();
  else await everything();
} finally {
  receiver.close();
  await db.close();
}

async function everything(): Promise<void> {
  await barePosts(); // warm up the connection pool and the JIT
  const bare = await timed(barePosts);
  const one = await deliverWith(1);
  const two = await deliverWith(2);
  console.log(`notification delivery, ${N} webhooks to a local receiver (BENCH_SCALE=${SCALE})`);
  row(`baseline: bare HTTP POSTs, ${IN_FLIGHT} in flight`, bare, '');
  row(`one worker (${IN_FLIGHT} in flight)`, one, `${ratio(one, bare)} of bare POSTs`);
  row(`two workers on one database (2 × ${IN_FLIGHT})`, two, `${ratio(two, one)} of one worker`);
  const backlogOne = await drainBacklog(1);
  const backlogTwo = await drainBacklog(2);
  console.log(`backlog: ${BACKLOG} FAILED webhooks due at once, one sweep each (NOTIFICATION_RETRY_INTERVAL 2m)`);
  row(`one worker: drained in ${backlogOne.seconds.toFixed(1)} s`, backlogOne.perSecond, `${ratio(backlogOne.perSecond, one)} of one worker's PENDING rate`);
  row(`two workers: drained in ${backlogTwo.seconds.toFixed(1)} s`, backlogTwo.perSecond, `${ratio(backlogTwo.perSecond, two)} of two workers' PENDING rate`);
  await signingCost();
}

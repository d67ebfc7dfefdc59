// The failure badge at 10M events (BENCH_SCALE shrinks it), 10 % failed,
// spread over 8 days: failureCount over GraphQL (real HTTP) and the bucket
// count in SQL, each beside the bare count(*) over the partial indexes; then
// single-row insert throughput with and without the bucket triggers.
import postgres from 'postgres';
import { loadEvents } from './dataset.js';
import { benchDatabase, ms, percentile, ratio, startServer, throughput } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const EVENTS = Math.round(10_000_000 * SCALE);
const WINDOWS = ['15m', '1h', '24h', '7d'] as const;
const SAMPLES = 500;
const WRITE_MS = 5_000;
const WRITERS = 8;

const db = await benchDatabase('failures');
const { sql } = db;

console.log(`loading ${EVENTS.toLocaleString()} events (10 % failed, over 8 days, a third of them e-mails) through the triggers…`);
let started = performance.now();
await loadEvents(sql, EVENTS);
const [sizes] = await sql`
  select (select count(*) from orchestrator_events where not success) + (select count(*) from orchestrator_emails where not success) as failed,
         (select count(*) from orchestrator_failure_minutes) as minute_rows, (select count(*) from orchestrator_failure_hours) as hour_rows`;
console.log(
  `loaded in ${((performance.now() - started) / 1000).toFixed(0)} s: ${Number(sizes!.failed).toLocaleString()} failed rows, ` +
    `${sizes!.minute_rows} minute and ${sizes!.hour_rows} hour bucket rows\n`,
);

/** The baseline: a plain count(*) over both partial indexes, no buckets. */
const bareCount = (since: string) => sql`
  select (select count(*) from orchestrator_events where not success and occurred_at between now() - ${since}::interval and now())
       + (select count(*) from orchestrator_emails where not success and occurred_at between now() - ${since}::interval and now()) as n`;
const bucketCount = (since: string) => sql`select orchestrator_failure_count(now() - ${since}::interval, now(), null) as n`;
const interval = (since: string) => since.replace(/m$/, ' minutes').replace(/h$/, ' hours').replace(/d$/, ' days');

const plan = await sql`explain select count(*) from orchestrator_events where not success and occurred_at between now() - interval '7 days' and now()`;
const scan = plan.map((row) => row['QUERY PLAN'] as string).find((line) => / Scan /.test(line));
console.log(`bare count plan: ${scan?.trim()}\n`);

const server = await startServer(db.url);
const QUERY = 'query ($since: String!) { failureCount(since: $since) { count asOf } }';
// Warm the server, the pool and the cached plans on every window before timing any of them.
for (let i = 0; i < 100; i++) for (const since of WINDOWS) await server.gql(QUERY, { since }, 'VIEWER');

// Windows take turns sample by sample, so the noise of a shared machine falls on all of them alike.
type Way = 'graphql' | 'buckets' | 'bare';
const samples = new Map<string, number[]>();
const timed = async (key: string, fn: () => Promise<unknown>) => {
  const started = performance.now();
  await fn();
  samples.set(key, [...(samples.get(key) ?? []), performance.now() - started]);
};
for (let round = 0; round < SAMPLES; round++) {
  for (const since of WINDOWS) {
    await timed(`graphql ${since}`, () => server.gql(QUERY, { since }, 'VIEWER'));
    await timed(`buckets ${since}`, () => bucketCount(interval(since)));
    // The bare 7-day count takes ~50 ms: a fifth of the rounds is plenty.
    if (since !== '7d' || round % 5 === 0) await timed(`bare ${since}`, () => bareCount(interval(since)));
  }
}
const stat = (way: Way, since: string) => {
  const values = samples.get(`${way} ${since}`)!;
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
};

console.log(`${SAMPLES} interleaved samples per window (bare 7d: ${SAMPLES / 5})`);
console.log('window | failures | GraphQL p50 / p99 | bucket SQL p50 / p99 | bare count(*) p50 / p99 | GraphQL ÷ bare (p50, p99)');
for (const since of WINDOWS) {
  const { failureCount } = await server.gql(QUERY, { since }, 'VIEWER');
  const [bare] = await bareCount(interval(since));
  const [gql, buckets, base] = [stat('graphql', since), stat('buckets', since), stat('bare', since)];
  console.log(
    `${since.padEnd(6)} | ${String(failureCount.count).padStart(8)} (bare ${bare!.n}) | ${ms(gql.p50)} / ${ms(gql.p99)} | ` +
      `${ms(buckets.p50)} / ${ms(buckets.p99)} | ${ms(base.p50)} / ${ms(base.p99)} | ${ratio(gql.p50, base.p50)}, ${ratio(gql.p99, base.p99)}`,
  );
}
console.log(`GraphQL 7d ÷ 15m: p50 ${ratio(stat('graphql', '7d').p50, stat('graphql', '15m').p50)}, p99 ${ratio(stat('graphql', '7d').p99, stat('graphql', '15m').p99)}\n`);
await server.app.stop();

// Writes: what recordOrchestratorEvent sends, one row per statement and transaction, from 8 connections.
const writer = postgres(db.url, { max: WRITERS, onnotice: () => {} });
const insertOne = (failedShare: number) => () =>
  writer`insert into orchestrator_events (kind, success, detail) values ('TRAFFIC', ${Math.random() >= failedShare}, 'bench')`;
const setTriggers = (on: boolean) =>
  sql.unsafe(['orchestrator_events', 'orchestrator_emails'].map((t) => `alter table ${t} ${on ? 'enable' : 'disable'} trigger user;`).join(''));
/** The same triggers with every writer on one bucket row: the hot row the 8 slots avoid. */
async function useSlots(count: 1 | 8) {
  const [row] = await sql`select pg_get_functiondef('orchestrator_failures_add'::regproc) as def`;
  await sql.unsafe((row!.def as string).replace(/pg_backend_pid\(\) % \d+/, count === 1 ? '0' : 'pg_backend_pid() % 8'));
}

console.log(`single-row inserts, ${WRITERS} connections, ${WRITE_MS / 1000} s each | inserts/s | ÷ without triggers`);
for (const share of [0.1, 1]) {
  const label = share === 1 ? 'all failed (outage)' : '10 % failed';
  await setTriggers(false);
  const without = await throughput(WRITERS, WRITE_MS, insertOne(share));
  await setTriggers(true);
  const withTriggers = await throughput(WRITERS, WRITE_MS, insertOne(share));
  await useSlots(1);
  const oneSlot = await throughput(WRITERS, WRITE_MS, insertOne(share));
  await useSlots(8);
  console.log(`${label}, no triggers | ${without.toFixed(0)} | 1.00×`);
  console.log(`${label}, triggers, 8 slots | ${withTriggers.toFixed(0)} | ${ratio(withTriggers, without)}`);
  console.log(`${label}, triggers, 1 slot | ${oneSlot.toFixed(0)} | ${ratio(oneSlot, without)}`);
}
await writer.end();
await db.close();

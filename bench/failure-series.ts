// The failure series (Query.failureSeries) at 10M events (BENCH_SCALE shrinks
// it), 10 % failed, over 8 days: its one statement per shape (window / step),
// beside the bucket count of the same window (failureCount's statement, the
// baseline it is cut from) and a bare date_bin GROUP BY over the partial
// indexes (what it would cost without buckets); then the whole GraphQL request
// for the chart's default and largest shapes. Interleaved samples, p50 / p99.
import { loadEvents } from './dataset.js';
import { benchDatabase, benchScale, ms, percentile, ratio, startServer } from './lib.js';

const EVENTS = Math.round(10_000_000 * benchScale());
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const SHAPES = [
  ['1h', '1m'],
  ['1h', '10s'],
  ['24h', '1m'],
  ['24h', '1h'],
  ['7d', '7m'],
  ['7d', '1h'],
  ['7d', '1d'],
] as const;

const db = await benchDatabase('failure_series');
const { sql } = db;
console.log(`loading ${EVENTS.toLocaleString()} events (10 % failed, over 8 days) through the triggers…`);
await loadEvents(sql, EVENTS);

const seconds = (d: string) => Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[d.at(-1) as 's' | 'm' | 'h' | 'd'];
const series = (since: string, step: string) => sql`
  select count(*) from orchestrator_failure_series(now() - make_interval(secs => ${seconds(since)}), now(), ${seconds(step)}::int, null)`;
const bucketCount = (since: string) => sql`
  select orchestrator_failure_count(now() - make_interval(secs => ${seconds(since)}), now(), null)`;
const bare = (since: string, step: string) => sql`
  select count(*) from (
    select date_bin(make_interval(secs => ${seconds(step)}), occurred_at, timestamptz 'epoch'), kind, count(*) from orchestrator_events
      where not success and occurred_at between now() - make_interval(secs => ${seconds(since)}) and now() group by 1, 2
    union all
    select date_bin(make_interval(secs => ${seconds(step)}), occurred_at, timestamptz 'epoch'), 'EMAIL', count(*) from orchestrator_emails
      where not success and occurred_at between now() - make_interval(secs => ${seconds(since)}) and now() group by 1) s`;

const samples = new Map<string, number[]>();
const timed = async (key: string, fn: () => Promise<unknown>) => {
  const started = performance.now();
  await fn();
  samples.set(key, [...(samples.get(key) ?? []), performance.now() - started]);
};
for (let i = 0; i < 10; i++) for (const [since, step] of SHAPES) await series(since, step);
for (let round = 0; round < SAMPLES; round++) {
  for (const [since, step] of SHAPES) {
    await timed(`series ${since}/${step}`, () => series(since, step));
    await timed(`count ${since}`, () => bucketCount(since));
    // The bare 7-day GROUP BY takes tens of ms: a tenth of the rounds is plenty.
    if (since !== '7d' || round % 10 === 0) await timed(`bare ${since}/${step}`, () => bare(since, step));
  }
}
const stat = (key: string) => ({ p50: percentile(samples.get(key)!, 50), p99: percentile(samples.get(key)!, 99) });

console.log(`\n${SAMPLES} interleaved samples per shape (bare 7d: ${SAMPLES / 10}); SQL only`);
console.log('shape | series p50 / p99 | bucket count p50 / p99 | bare GROUP BY p50 / p99 | series ÷ count (p50) | series ÷ bare (p50)');
for (const [since, step] of SHAPES) {
  const [s, c, b] = [stat(`series ${since}/${step}`), stat(`count ${since}`), stat(`bare ${since}/${step}`)];
  console.log(
    `${`${since}/${step}`.padEnd(7)} | ${ms(s.p50)} / ${ms(s.p99)} | ${ms(c.p50)} / ${ms(c.p99)} | ${ms(b.p50)} / ${ms(b.p99)} | ` +
      `${ratio(s.p50, c.p50)} | ${ratio(s.p50, b.p50)}`,
  );
}

const server = await startServer(db.url);
const QUERY = 'query ($since: String!, $step: String!) { failureSeries(since: $since, step: $step) { total points { at count traffic file email } } }';
const COUNT = 'query ($since: String!) { failureCount(since: $since) { count } }';
for (let i = 0; i < 50; i++) {
  await server.gql(QUERY, { since: '1h', step: '1m' }, 'VIEWER');
  await server.gql(QUERY, { since: '24h', step: '1m' }, 'VIEWER');
  await server.gql(COUNT, { since: '24h' }, 'VIEWER');
}
for (let round = 0; round < SAMPLES; round++) {
  await timed('graphql 1h/1m', () => server.gql(QUERY, { since: '1h', step: '1m' }, 'VIEWER'));
  await timed('graphql 24h/1m', () => server.gql(QUERY, { since: '24h', step: '1m' }, 'VIEWER'));
  await timed('graphql count 24h', () => server.gql(COUNT, { since: '24h' }, 'VIEWER'));
}
const [g1, g24, gc] = [stat('graphql 1h/1m'), stat('graphql 24h/1m'), stat('graphql count 24h')];
console.log(`\nGraphQL over HTTP, ${SAMPLES} interleaved samples each`);
console.log(`failureSeries 1h/1m (61 points):    ${ms(g1.p50)} / ${ms(g1.p99)}  (${ratio(g1.p50, gc.p50)} of failureCount 24h, p50)`);
console.log(`failureSeries 24h/1m (1441 points): ${ms(g24.p50)} / ${ms(g24.p99)}  (${ratio(g24.p50, gc.p50)} of failureCount 24h, p50)`);
console.log(`failureCount 24h (the baseline):    ${ms(gc.p50)} / ${ms(gc.p99)}`);
await server.app.stop();
await db.close();

// Scan counters: which counter layout, what the GraphQL write path costs next
// to a bare INSERT, and how the cache reads and rebalances at 2M scans.
// Run: npx tsx bench/scans.ts   (BENCH_SCALE=0.1 shrinks the 2M scans to 200k)
// @ts-expect-error autocannon ships no types; the few result fields used are typed below.
import autocannonUntyped from 'autocannon';
import type { Sql } from '../src/db/client.js';
import { insertScanAndBump } from '../src/db/scans.js';
import { COUNTER_SLOTS } from '../src/resolvers/scans.js';
import { loadScans, SCAN_TYPES } from './dataset.js';
import { benchDatabase, latency, ms, percentile, ratio, startServer, throughput } from './lib.js';

const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<{ requests: { total: number }; non2xx: number; errors: number }>;

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const SCANS = Math.round(2_000_000 * SCALE);
const RUN_MS = 5_000;
const WRITERS = [1, 8, 64];

const db = await benchDatabase('scans');
const sql = db.sql as never as Sql;
const server = await startServer(db.url);
const rate = (n: number) => `${Math.round(n)}/s`;
const countScans = async () => (await sql<{ n: number }[]>`select count(*)::int as n from scans`)[0]!.n;

const RECORD = `mutation ($input: RecordScanInput!) { recordScan(input: $input) { id } }`;
const STATS = `{ scanStats { stats { scanType count } total updatedAt } }`;
const REBALANCE = `mutation { rebalanceScanStats { total } }`;
const plainInsert = () => sql`insert into scans (scan_type, subject_id, scanned_by) values ('checkin', 'badge-1', 'bench-operator')`;
const recordScan = () => server.gql(RECORD, { input: { scanType: 'checkin', subjectId: 'badge-1' } }, 'OPERATOR');

console.log(`bench/scans  BENCH_SCALE=${SCALE}  scans=${SCANS}  counter slots in use=${COUNTER_SLOTS}\n`);

// 1. Counter layout: every writer bumps the same type. Bare SQL (insert scan +
//    upsert counter in one statement), so only the row contention differs.
console.log('counter layout (insert + bump, postgres.js, pool 10), vs plain INSERT');
for (const workers of [8, 64]) {
  const plain = await throughput(workers, RUN_MS, plainInsert);
  const cells = [`plain ${rate(plain)}`];
  for (const slots of [1, 16, 64]) {
    const bumped = await throughput(workers, RUN_MS, () =>
      insertScanAndBump(sql, { scanType: 'checkin', subjectId: 'badge-1', scannedBy: 'bench', slot: Math.floor(Math.random() * slots) }),
    );
    cells.push(`${slots} slot${slots > 1 ? 's' : ''} ${rate(bumped)} (${ratio(bumped, plain)})`);
  }
  console.log(`  ${String(workers).padStart(2)} writers: ${cells.join('  ')}`);
}

// 2. The 2M-scan table, loaded in SQL, then the cache rebuilt by the real mutation.
await sql`truncate scans, scan_counters`;
await loadScans(db.sql, SCANS);

console.log(`\nrebalanceScanStats at ${SCANS} scans (GraphQL over HTTP), vs the bare GROUP BY it runs`);
const groupBy = await latency(5, () => sql`select scan_type, count(*) from scans group by scan_type`, 1);
const rebalance = await latency(5, () => server.gql(REBALANCE), 1);
console.log(`  rebalance p50 ${ms(rebalance.p50)}  bare GROUP BY p50 ${ms(groupBy.p50)}  (${ratio(rebalance.p50, groupBy.p50)})`);

// Writers queue behind the rebalance's lock: how long does a check-in wait?
const stalls: number[] = [];
let writing = true;
const writers = Array.from({ length: 8 }, async () => {
  while (writing) {
    const started = performance.now();
    await recordScan();
    stalls.push(performance.now() - started);
  }
});
await new Promise((r) => setTimeout(r, 500));
await server.gql(REBALANCE);
await new Promise((r) => setTimeout(r, 500));
writing = false;
await Promise.all(writers);
console.log(`  recordScan latency across one rebalance (8 writers): p50 ${ms(percentile(stalls, 50))}  max ${ms(Math.max(...stalls))}`);

/**
 * recordScan over real HTTP from `writers` keep-alive connections, one request
 * in flight each. The load runs in autocannon's worker thread: a fetch loop on
 * the server's own event loop measured the client (undici fetch was 4× slower).
 */
async function httpWriters(writers: number): Promise<number> {
  const before = await countScans();
  const result = await autocannon({
    url: server.url,
    method: 'POST',
    connections: writers,
    workers: 1,
    duration: RUN_MS / 1000,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await server.token('OPERATOR')}` },
    body: JSON.stringify({ query: RECORD, variables: { input: { scanType: 'checkin', subjectId: 'badge-1' } } }),
  });
  // A GraphQL error still answers 200: only rows written prove the requests succeeded.
  const written = (await countScans()) - before;
  if (result.non2xx > 0 || result.errors > 0 || written < result.requests.total) {
    throw new Error(`recordScan load failed: ${result.non2xx} non-2xx, ${result.errors} errors, ${written} rows for ${result.requests.total} responses`);
  }
  return result.requests.total / (RUN_MS / 1000);
}

// 3. The write path: recordScan over real HTTP vs a plain INSERT of the same row.
console.log(`\nthroughput, recordScan (GraphQL over HTTP, server pool 10) vs plain INSERT (postgres.js, pool 10)`);
for (const workers of WRITERS) {
  const plain = await throughput(workers, RUN_MS, plainInsert);
  const graphql = await httpWriters(workers);
  console.log(`  ${String(workers).padStart(2)} writers: recordScan ${rate(graphql)}  plain INSERT ${rate(plain)}  ratio ${ratio(graphql, plain)}`);
}

// 4. Reads: the cache with every type spread over every slot (zero rows change no sum).
await sql`
  insert into scan_counters (scan_type, slot, count)
  select 'type_' || lpad(t::text, 2, '0'), s, 0 from generate_series(0, ${SCAN_TYPES - 1}) t, generate_series(0, ${COUNTER_SLOTS - 1}) s
  on conflict do nothing`;
await sql`vacuum analyze scan_counters`;
const scans = await countScans();
console.log(`\nscanStats with ${scans} scans, ${SCAN_TYPES} types × ${COUNTER_SLOTS} slots (1000 calls, sequential)`);
const viaGraphql = await latency(1000, () => server.gql(STATS, {}, 'VIEWER'));
const cacheSql = await latency(1000, () => sql`select scan_type, sum(count), max(updated_at) from scan_counters group by scan_type`);
const echo = await latency(1000, () => server.gql('{ me { id } }', {}, 'VIEWER'));
const groupByLatency = await latency(5, () => sql`select scan_type, count(*) from scans group by scan_type`, 1);
console.log(`  scanStats over HTTP  p50 ${ms(viaGraphql.p50)}  p99 ${ms(viaGraphql.p99)}`);
console.log(`  baseline { me } over HTTP  p50 ${ms(echo.p50)}  p99 ${ms(echo.p99)}  (scanStats p99 ${ratio(viaGraphql.p99, echo.p99)})`);
console.log(`  cache query, bare SQL  p50 ${ms(cacheSql.p50)}  p99 ${ms(cacheSql.p99)}`);
console.log(`  counting scans instead (GROUP BY)  p50 ${ms(groupByLatency.p50)}  (${ratio(groupByLatency.p50, viaGraphql.p50)} the cached read)`);

await server.app.stop();
await db.close();

// Issue 30's fleet defect: behind PgBouncer in transaction mode the badge page froze while it showed
// "Live". Its job list (a query without parameters) and its failure badge (queries with parameters)
// recompute together on the live pool, and postgres.js pipelined one behind the other. Without prepared
// statements a query with parameters goes out as Parse/Describe/Flush and waits for the description;
// PgBouncer 1.18 hands the server connection back at the first query's ReadyForQuery, so that answer
// never comes, and the connection (with everything queued on it) waits for ever. DATABASE_MAX_PIPELINE
// =auto pipelines nothing behind a pooler (src/config.ts, src/db/client.ts).
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createSql, fetchArrayTypesOnce, type Sql } from '../../src/db/client.js';
import { RECORD } from '../scans-fixtures.js';
import { token, until, type TestServer } from '../helpers.js';
import { wsClient } from '../ws-client.js';
import { usePooler } from './pooler.js';

const p = usePooler('transaction');

/**
 * A query without parameters and one with, sent together on a pool of one connection, `pairs` times
 * in a row: how many pairs were answered before one stayed unanswered for `patienceMs` (all: none did).
 */
async function pairsAnswered(sql: Sql, pairs: number, patienceMs = 2000): Promise<number> {
  for (let i = 0; i < pairs; i++) {
    const pair = Promise.all([sql`select 1 as one`, sql`select ${i}::int as i`]);
    pair.catch(() => {}); // a hung pair is rejected when the pool is destroyed below
    const answered = await Promise.race([pair.then(() => true), new Promise<boolean>((r) => setTimeout(r, patienceMs, false))]);
    if (!answered) return i;
  }
  return pairs;
}

/** One connection through the pooler, configured as an instance behind it configures its pools. */
async function pooledPool(env: Record<string, string> = {}): Promise<Sql> {
  const config = loadConfig({ DATABASE_URL: p.pooledUrl, DATABASE_DIRECT_URL: p.directUrl, ...env });
  const sql = createSql(p.pooledUrl, 1, undefined, 'pipeline-test', config.databaseMaxPipeline, 1, config.databasePreparedStatements);
  await fetchArrayTypesOnce(sql);
  return sql;
}

describe('DATABASE_MAX_PIPELINE', () => {
  it('auto: 0 behind a pooler (DATABASE_DIRECT_URL names another URL), 1 directly; a number forces it', () => {
    expect(loadConfig({ DATABASE_URL: p.pooledUrl, DATABASE_DIRECT_URL: p.directUrl }).databaseMaxPipeline).toBe(0);
    expect(loadConfig({ DATABASE_URL: p.directUrl }).databaseMaxPipeline).toBe(1);
    expect(loadConfig({ DATABASE_URL: p.pooledUrl, DATABASE_DIRECT_URL: p.directUrl, DATABASE_MAX_PIPELINE: '3' }).databaseMaxPipeline).toBe(3);
    expect(() => loadConfig({ DATABASE_MAX_PIPELINE: 'many' })).toThrow(/DATABASE_MAX_PIPELINE must be a whole number from 0 to 1000/);
  });

  it('pipelining forced on behind PgBouncer in transaction mode: a pair of queries is never answered (the defect this guards)', async () => {
    const sql = await pooledPool({ DATABASE_MAX_PIPELINE: '1' });
    try {
      // Timing decides which pair hangs (seen: the 1st, the 13th, the 26th); within 500 one does.
      expect(await pairsAnswered(sql, 500)).toBeLessThan(500);
    } finally {
      await sql.end({ timeout: 0 });
    }
  });

  it('auto behind PgBouncer: 500 pairs in a row, every one answered', async () => {
    const sql = await pooledPool();
    try {
      expect(await pairsAnswered(sql, 500)).toBe(500);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

describe('the badge page over PgBouncer: dashboard, job list and failure series on one socket', () => {
  const COMMITS = 50;
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await p.start();
  });
  afterAll(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it(`each of ${COMMITS} scans reaches the dashboard subscription while the job list and the series are live beside it`, async () => {
    expect(server.app.config.databaseMaxPipeline).toBe(0);
    client = wsClient(server.wsUrl, await token('VIEWER'));
    const totals: number[] = [];
    const errors: unknown[] = [];
    const sink = (pick?: (data: any) => void) => ({
      next: (result: { data?: any; errors?: unknown }) => (result.errors ? errors.push(result.errors) : pick?.(result.data)),
      error: (error: unknown) => errors.push(error),
      complete: () => {},
    });
    // What public/app.js subscribes, in its order.
    client.subscribe({ query: 'subscription { dashboard { deadLetterCount jobsRunning scanStats { total } failureCount { count } } }' }, sink((d) => totals.push(d.dashboard.scanStats.total)));
    client.subscribe({ query: 'subscription { jobListLiveCounts { complete changed { rowId running pending } removed } }' }, sink());
    client.subscribe({ query: 'subscription { failureSeries(since: "1h", step: "1m") { total } }' }, sink());
    await until(() => totals.length > 0 || errors.length > 0);
    let expected = totals.at(-1)!;
    for (let commit = 1; commit <= COMMITS; commit++) {
      const result = await server.gql(RECORD, { input: { scanType: 'checkin', subjectId: `pipeline-${commit}` } }, 'OPERATOR');
      expect(result.errors, `commit ${commit}`).toBeUndefined();
      expected++;
      await until(() => totals.at(-1) === expected, 5000).catch(() => {});
      expect(totals.at(-1), `commit ${commit}: the dashboard shows`).toBe(expected);
    }
    expect(errors).toEqual([]);
  });
});

describe('HTTP badge queries over PgBouncer: the query pool jammed the same way', () => {
  const BURSTS = 5;
  const CONCURRENT = 100;
  // scanStats reads without parameters, failureCount with: alternated, each request its own statements.
  const QUERIES = ['{ scanStats { total } }', '{ failureCount(since: "1h") { count } }'];
  const burst = (server: TestServer, n: number) =>
    Promise.all(Array.from({ length: CONCURRENT }, (_, i) => server.gql(QUERIES[i % 2]!, {}, 'VIEWER').then((r) => (r.errors ? `${n}/${i}: ${(r.errors[0] as { extensions?: { code?: string } }).extensions?.code}` : null))));

  it(`auto: ${BURSTS} bursts of ${CONCURRENT} concurrent badge queries, every one answered`, async () => {
    const server = await p.start({ DATABASE_SHARED_READS: 'off', DATABASE_TIMEOUT: '5s' });
    try {
      for (let n = 1; n <= BURSTS; n++) expect((await burst(server, n)).filter(Boolean)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('pipelining forced on: connections hang until the instance answers SERVICE_UNAVAILABLE (the defect this guards)', async () => {
    const server = await p.start({ DATABASE_SHARED_READS: 'off', DATABASE_TIMEOUT: '3s', DATABASE_MAX_PIPELINE: '1' });
    try {
      let failed: string[] = [];
      for (let n = 1; n <= BURSTS && failed.length === 0; n++) failed = (await burst(server, n)).filter((e): e is string => e !== null);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.filter((f) => !f.endsWith(': SERVICE_UNAVAILABLE'))).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

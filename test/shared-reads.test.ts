// Badge reads shared between requests (src/db/shared-reads.ts): one statement
// serves every request that arrived while the previous one ran, and no answer
// is older than its request.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '../src/db/client.js';
import { sharedRead, shareReads } from '../src/db/shared-reads.js';
import { transaction } from '../src/db/transaction.js';
import { metricValue, useTestApp } from './helpers.js';
import { record } from './scans-fixtures.js';

const t = useTestApp();
let pool: Sql;

beforeAll(async () => {
  pool = createSql(t.databaseUrl, 4);
  shareReads(pool, { patienceMs: 200 });
  await t.sql`create table shared_probe (n int not null)`;
  await t.sql`insert into shared_probe values (0)`;
});
afterAll(() => pool?.end({ timeout: 1 }));

/** A read whose statement takes its snapshot at once and answers `ms` later, counting the statements it runs. */
function slowRead(ms: number) {
  const statements = { count: 0 };
  const read = sharedRead<void, number>('test-probe', async (sql) => {
    statements.count++;
    const [row] = await sql<{ n: number }[]>`select n, pg_sleep(${ms / 1000}) from shared_probe`;
    return row!.n;
  });
  return { read, statements };
}

/**
 * Until a statement of the pool sleeps inside pg_sleep: its executor is running, so its snapshot is
 * taken. (Its state turns 'active' earlier, at Parse, before the snapshot: not enough.)
 */
async function running(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [row] = await t.sql`select count(*)::int as n from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database() and pid <> pg_backend_pid()`;
    if (row!.n > 0) return;
    await sleep(5);
  }
  throw new Error('no statement started sleeping');
}

describe('a shared read', () => {
  it('never answers with a statement that began before the request: a read asked after a commit sees it', async () => {
    await t.sql`update shared_probe set n = 0`;
    const { read, statements } = slowRead(300);
    const first = read(pool);
    await running();
    // Committed while the first statement runs on a snapshot without it.
    await t.sql`update shared_probe set n = 1`;
    const second = read(pool);
    expect(await first).toBe(0);
    expect(await second).toBe(1);
    expect(statements.count).toBe(2);
  });

  it('serves every request that arrived during a statement with the next one', async () => {
    await t.sql`update shared_probe set n = 5`;
    const { read, statements } = slowRead(200);
    const first = read(pool);
    await running();
    // Asked one after another, each in a turn of the event loop of its own, while the first statement runs.
    const waiting: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      waiting.push(read(pool));
      await sleep(3);
    }
    expect(await first).toBe(5);
    expect(await Promise.all(waiting)).toEqual(Array(20).fill(5));
    expect(statements.count).toBe(2);
  });

  it('starts the next statement anyway once the running one outlasts its patience (a connection lost without a reset)', async () => {
    const read = sharedRead('test-patience', async (sql, seconds: number) => {
      await sql`select pg_sleep(${seconds})`;
      return seconds;
    }, () => 'same');
    const stuck = read(pool, 2);
    await running();
    const started = Date.now();
    const next = read(pool, 0);
    expect(await Promise.race([next.then(() => 'next'), stuck.then(() => 'stuck')])).toBe('next');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await stuck).toBe(2);
  });

  it('runs one statement per distinct key, and an error answers only its own key, once', async () => {
    let statements = 0;
    const read = sharedRead('test-keys', async (sql, divisor: number) => {
      statements++;
      const [row] = await sql<{ q: number }[]>`select 10 / ${divisor}::int as q`;
      return row!.q;
    }, String);
    const answers = await Promise.allSettled([read(pool, 2), read(pool, 0), read(pool, 2), read(pool, 5), read(pool, 0)]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as { code?: string }).code))).toEqual([5, '22012', 5, 2, '22012']);
    expect(statements).toBe(3);
    // Nothing is kept: the next batch runs again.
    await expect(read(pool, 0)).rejects.toMatchObject({ code: '22012' });
    expect(statements).toBe(4);
  });

  it('is not shared inside a transaction, nor on a pool never registered', async () => {
    const { read, statements } = slowRead(0);
    await Promise.all([read(pool), read(pool)]);
    expect(statements.count).toBe(1);
    await transaction(pool, (tx) => Promise.all([read(tx), read(tx)]));
    expect(statements.count).toBe(3);
    const plain = createSql(t.databaseUrl, 2);
    try {
      await Promise.all([read(plain), read(plain)]);
      expect(statements.count).toBe(5);
    } finally {
      await plain.end({ timeout: 1 });
    }
  });
});

describe('scanStats over HTTP while scans are recorded', () => {
  it('shares statements between concurrent requests, and each answer counts every scan committed before it was asked', async () => {
    const STATS = `{ scanStats { total } }`;
    const before = {
      asked: await metricValue(t.url, 'opsgraph_shared_reads_total{read="scanStats"}'),
      run: await metricValue(t.url, 'opsgraph_shared_read_statements_total{read="scanStats"}'),
    };
    const answers: Promise<{ committed: number; total: number }>[] = [];
    for (let i = 1; i <= 30; i++) {
      await record(t, 'checkin', `shared-${i}`);
      const committed = i;
      // A burst of requests after each commit, none awaited: they overlap the next commit's.
      for (let j = 0; j < 8; j++) {
        answers.push(t.gql(STATS, {}, 'VIEWER').then((r) => ({ committed, total: r.data!.scanStats.total as number })));
      }
    }
    const settled = await Promise.all(answers);
    const stale = settled.filter((a) => a.total < a.committed);
    expect(stale).toEqual([]);
    expect(settled.at(-1)!.total).toBe(30);
    const asked = (await metricValue(t.url, 'opsgraph_shared_reads_total{read="scanStats"}')) - before.asked;
    const run = (await metricValue(t.url, 'opsgraph_shared_read_statements_total{read="scanStats"}')) - before.run;
    expect(asked).toBe(240);
    expect(run).toBeGreaterThan(0);
    expect(run).toBeLessThan(asked);
  });
});

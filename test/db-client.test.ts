import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, fetchArrayTypesOnce } from '../src/db/client.js';
import { createTestDatabase } from './helpers.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/**
 * Two connections, both busy: one for 50 ms, one for a second. Six instant queries arrive: how
 * many of them wait for the slow one? postgres.js pipelines each onto a busy connection, round
 * robin, while max_pipeline allows; beyond it they wait in one shared queue for the first
 * connection that frees up.
 */
async function stuckBehindSlowQuery(maxPipeline: number): Promise<number> {
  const sql = createSql(db.url, 2, undefined, 'pipeline-test', maxPipeline);
  try {
    await Promise.all([sql`select 1`, sql`select 1`]); // both connections open and idle
    const short = sql`select pg_sleep(0.05)`.execute();
    const slow = sql`select pg_sleep(1)`.execute();
    await new Promise((r) => setImmediate(r));
    const started = performance.now();
    const times = await Promise.all(Array.from({ length: 6 }, () => sql`select 1`.then(() => performance.now() - started)));
    await Promise.all([short, slow]);
    return times.filter((ms) => ms > 800).length;
  } finally {
    await sql.end();
  }
}

describe('createSql: DATABASE_MAX_PIPELINE', () => {
  it('at 1, at most one query waits behind a slow one; the others take the connection that frees up', async () => {
    expect(await stuckBehindSlowQuery(1)).toBeLessThanOrEqual(1);
  });
  it("at 100 (the default, postgres.js's), half of them are pipelined behind the slow query", async () => {
    expect(await stuckBehindSlowQuery(100)).toBeGreaterThanOrEqual(3);
  });
  // Why the default stays at 100: postgres.js reserves a transaction's connection only while the
  // connection is below max_pipeline, so at 1 a BEGIN queued behind a busy connection's query fails.
  async function transactionBehindBusyConnections(maxPipeline?: number): Promise<string> {
    const sql = maxPipeline === undefined ? createSql(db.url, 2) : createSql(db.url, 2, undefined, 'pipeline-test', maxPipeline);
    try {
      await Promise.all([sql`select 1`, sql`select 1`]);
      const busy = [sql`select pg_sleep(0.2)`.execute(), sql`select pg_sleep(0.2)`.execute()];
      const outcome = await sql.begin((tx) => tx`select 1 as one`).then(
        () => 'committed',
        (error: { code?: string }) => String(error.code),
      );
      await Promise.all(busy);
      return outcome;
    } finally {
      await sql.end();
    }
  }
  it('the default keeps a transaction working when it lands behind a busy connection', async () => {
    expect(await transactionBehindBusyConnections()).toBe('committed');
  });
  it('at 1, postgres.js refuses that transaction (UNSAFE_TRANSACTION)', async () => {
    expect(await transactionBehindBusyConnections(1)).toBe('UNSAFE_TRANSACTION');
  });
});

// postgres.js fetches the array types as each new connection's first query, in a promise it discards
// (porsager/postgres#1192): a connection destroyed or killed during that fetch leaked an unhandled
// rejection (the fault matrix saw `write CONNECTION_DESTROYED` / `CONNECTION_CLOSED`). The pool fetches
// them once; test/setup/unhandled-rejections.ts fails this file on any leak.
describe('createSql: array types fetched once', () => {
  const TYPES_QUERY = 'pg_catalog.pg_type';
  const killBackends = async (name: string) => {
    const admin = postgres(db.url, { max: 1, onnotice: () => {}, fetch_types: false });
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${name}`;
    await admin.end();
  };

  it('a later connection skips the fetch, and arrays still go both ways on it', async () => {
    const seen: string[] = [];
    const sql = createSql(db.url, 1, (query) => seen.push(query), 'types-once-test');
    try {
      await fetchArrayTypesOnce(sql);
      expect(seen.filter((q) => q.includes(TYPES_QUERY))).toHaveLength(1);
      await killBackends('types-once-test');
      const [row] = await sql`select ${sql.array(['a', 'b'])}::text[] as texts, array[1, 2]::bigint[] as ids`;
      expect(row).toEqual({ texts: ['a', 'b'], ids: ['1', '2'] });
      expect(seen.filter((q) => q.includes(TYPES_QUERY)), 'the reconnect fetched the types again').toHaveLength(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('a connection destroyed while it opens leaks no rejection', async () => {
    let destroyOnNextStatement = false;
    let sql: ReturnType<typeof createSql>;
    sql = createSql(db.url, 1, () => {
      // The first statement of the new connection: before the fix, postgres.js's own type fetch.
      if (destroyOnNextStatement) {
        destroyOnNextStatement = false;
        setImmediate(() => void sql.end({ timeout: 0 }));
      }
    }, 'types-destroyed-test');
    const leaked: unknown[] = [];
    const record = (reason: unknown) => leaked.push(reason);
    process.on('unhandledRejection', record);
    try {
      await fetchArrayTypesOnce(sql);
      await killBackends('types-destroyed-test');
      destroyOnNextStatement = true;
      const outcome = await sql`select 1`.then(
        () => 'answered',
        (error: { code?: string }) => String(error.code),
      );
      expect(['answered', 'CONNECTION_DESTROYED']).toContain(outcome);
      await new Promise((r) => setTimeout(r, 200));
      expect(leaked.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql } from '../src/db/client.js';
import { createTestDatabase } from './helpers.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/**
 * Two connections, both busy: one for a second, one for 50 ms. How long does a third, instant
 * query take? postgres.js pipelines it onto a busy connection (the first, round robin) when
 * max_pipeline allows (even at 1, which lets one query wait behind the running one); at 0 it waits in the shared queue for whichever connection frees up first.
 */
async function thirdQueryMs(maxPipeline: number): Promise<number> {
  const sql = createSql(db.url, 2, undefined, 'pipeline-test', maxPipeline);
  try {
    await Promise.all([sql`select 1`, sql`select 1`]); // both connections open and idle
    const slow = sql`select pg_sleep(1)`.execute();
    const short = sql`select pg_sleep(0.05)`.execute();
    await new Promise((r) => setImmediate(r));
    const started = performance.now();
    await sql`select 1`;
    const ms = performance.now() - started;
    await Promise.all([slow, short]);
    return ms;
  } finally {
    await sql.end();
  }
}

describe('createSql: DATABASE_MAX_PIPELINE', () => {
  it('at 0 (the default), a query takes the first connection that frees up instead of waiting behind a slow one', async () => {
    expect(await thirdQueryMs(0)).toBeLessThan(700);
  });
  it('at 1, it may still wait behind the slow query', async () => {
    expect(await thirdQueryMs(1)).toBeGreaterThanOrEqual(900);
  });
  it('at 100 (postgres.js default), it is pipelined behind the slow query', async () => {
    expect(await thirdQueryMs(100)).toBeGreaterThanOrEqual(900);
  });
});

// (b) of the fleet issue: bursts of concurrent mutations through PgBouncer in transaction mode are
// all answered, burst after burst. With named prepared statements (postgres.js's default) the first
// burst met "prepared statement … does not exist" and the instance jammed for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.js';
import { RECORD } from '../scans-fixtures.js';
import { usePooler } from './pooler.js';

const BURSTS = 5;
const CONCURRENT = 200;

describe.each(['transaction', 'session'] as const)('PgBouncer in %s mode', (mode) => {
  const p = usePooler(mode);
  let server: TestServer;
  beforeAll(async () => {
    server = await p.start();
  });
  afterAll(() => server?.stop());

  it(`answers ${BURSTS} bursts of ${CONCURRENT} concurrent mutations, every one`, async () => {
    for (let burst = 0; burst < BURSTS; burst++) {
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          server.gql(RECORD, { input: { scanType: ['checkin', 'lunch', 'swag'][i % 3], subjectId: `b${burst}-${i}` } }, 'OPERATOR'),
        ),
      );
      const failed = results.filter((r) => r.errors);
      expect(failed.slice(0, 3), `burst ${burst + 1}: ${failed.length} of ${CONCURRENT} failed`).toEqual([]);
    }
    const [row] = await server.sql<{ count: number }[]>`select count(*)::int as count from scans`;
    expect(row?.count).toBe(BURSTS * CONCURRENT);
    const stats = await server.gql(`{ scanStats { total } }`, {}, 'VIEWER');
    expect(stats.data?.scanStats.total).toBe(BURSTS * CONCURRENT);
    const ready = await fetch(server.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
  });

  it('with named prepared statements and pipelining forced on, as main ran before, transaction mode breaks (the defect this guards)', async () => {
    if (mode !== 'transaction') return;
    // As main ran then: prepared statements on, and one query pipelined behind another. Since pipelining is
    // off behind a pooler (DATABASE_MAX_PIPELINE=auto, test/fleet/pooler-pipeline.test.ts), prepared statements
    // alone broke none of these bursts: postgres.js prepares a statement again when the server connection
    // lacks it, unless the query was pipelined. They stay off behind a pooler (a transaction can't be retried).
    const forced = await p.start({ DATABASE_PREPARED_STATEMENTS: 'on', DATABASE_MAX_PIPELINE: '1', DATABASE_TIMEOUT: '3s' });
    try {
      // The statements break only when PgBouncer hands a client connection a server connection that did
      // not prepare them: likely in every burst, not certain in any one (once in a CI run, none of 200
      // did). Up to five bursts, as the test above sends, until one fails.
      let failed = 0;
      for (let burst = 0; burst < BURSTS && failed === 0; burst++) {
        const results = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) =>
            forced.gql(RECORD, { input: { scanType: 'checkin', subjectId: `forced-${burst}-${i}` } }, 'OPERATOR'),
          ),
        );
        failed = results.filter((r) => r.errors).length;
      }
      expect(failed).toBeGreaterThan(0);
    } finally {
      await forced.stop();
    }
  });
});

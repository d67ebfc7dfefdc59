// The rebalance must be exact while recordScan runs: after every round of
// concurrent writers and interleaved rebalances, cache == GROUP BY of scans.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Sql } from '../src/db/client.js';
import { countScansByType, lockScanCounters, replaceScanCounters } from '../src/db/scans.js';
import { useTestApp } from './helpers.js';
import { cache, REBALANCE, record, truth } from './scans-fixtures.js';

const t = useTestApp();

const ROUNDS = 14;
const WRITERS = 24;
const SCANS_PER_WRITER = 15;
const REBALANCERS = 2;
const TYPES = ['checkin', 'lunch', 'swag'];

/**
 * WRITERS loops record scans over GraphQL while REBALANCERS loops rebalance
 * back to back until the writers are done. Returns the rounds whose cache
 * ended up different from the truth, and how many rebalances ran.
 */
async function race(rebalance: () => Promise<unknown>, { rounds = ROUNDS, stopAtFirstDrift = false } = {}) {
  const drifted: { round: number; cache: unknown; truth: unknown }[] = [];
  let rebalances = 0;
  for (let round = 0; round < rounds && !(stopAtFirstDrift && drifted.length > 0); round++) {
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < SCANS_PER_WRITER; i++) await record(t, TYPES[(w + i) % TYPES.length]!, `r${round}-w${w}-${i}`);
    });
    const rebalancers = Array.from({ length: REBALANCERS }, async () => {
      while (writing) {
        await rebalance();
        rebalances++;
        await sleep(Math.random() * 3);
      }
    });
    await Promise.all(writers);
    writing = false;
    await Promise.all(rebalancers);
    const [now, expected] = [await cache(t.sql), await truth(t.sql)];
    if (JSON.stringify(now) !== JSON.stringify(expected)) drifted.push({ round, cache: now, truth: expected });
  }
  return { drifted, rebalances };
}

/** The plan the issue warns about: count, then lock. Kept here to prove the race above can catch it. */
function naiveRebalance(sql: Sql) {
  return sql.begin(async (transaction) => {
    const tx = transaction as unknown as Sql;
    const counts = await countScansByType(tx);
    await lockScanCounters(tx);
    await replaceScanCounters(tx, counts);
  });
}

describe('rebalanceScanStats under concurrent recordScan', () => {
  it('leaves cache == GROUP BY of scans after every round', async () => {
    const { drifted, rebalances } = await race(async () => {
      const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
      if (result.errors) throw new Error(JSON.stringify(result.errors));
    });
    expect(drifted).toEqual([]);
    expect(rebalances).toBeGreaterThanOrEqual(ROUNDS * REBALANCERS);
    expect((await truth(t.sql)).reduce((sum, row) => sum + row.count, 0)).toBe(ROUNDS * WRITERS * SCANS_PER_WRITER);
  }, 90_000);

  it('catches a count-then-lock rebalance (the harness has teeth)', async () => {
    const { drifted } = await race(() => naiveRebalance(t.sql), { rounds: 3 * ROUNDS, stopAtFirstDrift: true });
    expect(drifted.length).toBe(1);
  }, 90_000);
});

// The failure rebalance must be exact while failures are recorded: after every
// round of concurrent writers and interleaved rebalances, each minute and hour
// bucket equals the count(*) of its failed rows.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Sql } from '../src/db/client.js';
import { lockFailureSources } from '../src/db/failure-buckets.js';
import { bucketsVersusTruth } from './failures-fixtures.js';
import { useTestApp } from './helpers.js';

const t = useTestApp();

const ROUNDS = 10;
const WRITERS = 16;
const EVENTS_PER_WRITER = 12;
const REBALANCERS = 2;
const KINDS = ['TRAFFIC', 'FILE', 'EMAIL'];
const RECORD = 'mutation ($input: RecordOrchestratorEventInput!) { recordOrchestratorEvent(input: $input) { id } }';
const REBALANCE = 'mutation { rebalanceFailureCounts { drift } }';

async function race(rebalance: () => Promise<unknown>, { rounds = ROUNDS, stopAtFirstDrift = false } = {}) {
  const drifted: { round: number; rows: unknown }[] = [];
  let rebalances = 0;
  for (let round = 0; round < rounds && !(stopAtFirstDrift && drifted.length > 0); round++) {
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < EVENTS_PER_WRITER; i++) {
        // Spread over three hours, so the writes land in many minute and several hour buckets.
        const occurredAt = new Date(Date.now() - Math.floor(Math.random() * 3 * 3_600_000)).toISOString();
        const input = { kind: KINDS[(w + i) % KINDS.length], success: i % 5 === 0, occurredAt };
        const result = await t.gql(RECORD, { input }, 'OPERATOR');
        if (result.errors) throw new Error(JSON.stringify(result.errors));
      }
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
    const rows = await bucketsVersusTruth(t.sql);
    if (rows.length > 0) drifted.push({ round, rows });
  }
  return { drifted, rebalances };
}

/** The plan the rebalance must not follow: count, then lock, then replace the buckets with the (stale) count. */
function naiveRebalance(sql: Sql) {
  return sql.begin(async (transaction) => {
    const tx = transaction as unknown as Sql;
    await tx`create temp table naive_truth on commit drop as
      select date_trunc('minute', occurred_at, 'UTC') as minute, kind, count(*) as n
      from (select kind, occurred_at from orchestrator_events where not success
            union all select 'EMAIL', occurred_at from orchestrator_emails where not success) f group by 1, 2`;
    await sleep(2); // what a slow count would take
    await lockFailureSources(tx);
    await tx`delete from orchestrator_failure_minutes`;
    await tx`insert into orchestrator_failure_minutes select minute, kind, 0, n from naive_truth`;
    await tx`delete from orchestrator_failure_hours`;
    await tx`insert into orchestrator_failure_hours select date_trunc('hour', minute, 'UTC'), kind, 0, sum(n) from naive_truth group by 1, 2`;
  });
}

describe('rebalanceFailureCounts under concurrent recordOrchestratorEvent', () => {
  it('leaves every bucket == count(*) of its failed rows after every round', async () => {
    const { drifted, rebalances } = await race(async () => {
      const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      // Nothing was written around the triggers, so nothing can have drifted.
      if (result.data!.rebalanceFailureCounts.drift !== 0) throw new Error(`drift ${result.data!.rebalanceFailureCounts.drift}`);
    });
    expect(drifted).toEqual([]);
    expect(rebalances).toBeGreaterThanOrEqual(ROUNDS * REBALANCERS);
  }, 120_000);

  it('catches a count-then-lock rebalance (the harness has teeth)', async () => {
    const { drifted } = await race(() => naiveRebalance(t.sql), { rounds: 3 * ROUNDS, stopAtFirstDrift: true });
    expect(drifted.length).toBe(1);
  }, 120_000);
});

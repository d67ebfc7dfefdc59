// The failure buckets can be repaired: rows written with triggers off and
// buckets corrupted in SQL are found by failureCountDrift and fixed by
// rebalanceFailureCounts, after which every bucket equals a count(*).
import { describe, expect, it } from 'vitest';
import { bucketsVersusTruth } from './failures-fixtures.js';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

const REBALANCE = 'mutation { rebalanceFailureCounts { drift rebalancedAt tables { table minuteDrift hourDrift drift } } }';
const DRIFT = '{ failureCountDrift { drift checkedAt tables { table minuteDrift hourDrift drift } } }';
const COUNT_7D = '{ failureCount(since: "7d") { count } }';

async function failedRows(): Promise<number> {
  const [row] = await t.sql<{ n: number }[]>`
    select ((select count(*) from orchestrator_events where not success and occurred_at >= now() - interval '7 days')
          + (select count(*) from orchestrator_emails where not success and occurred_at >= now() - interval '7 days'))::int as n`;
  return row!.n;
}

async function badge(): Promise<number> {
  return (await t.gql(COUNT_7D, {}, 'VIEWER')).data!.failureCount.count;
}

describe('rebalanceFailureCounts', () => {
  it('finds and fixes rows written with triggers off and buckets corrupted in SQL; the badge equals count(*) again', async () => {
    // A healthy start: recorded through the triggers.
    await t.sql`insert into orchestrator_events (kind, success, occurred_at)
      select (array['TRAFFIC', 'FILE'])[1 + i % 2], i % 3 <> 0, now() - i * interval '7 minutes' from generate_series(1, 300) i`;
    await t.sql`insert into orchestrator_emails (success, occurred_at)
      select i % 4 <> 0, now() - i * interval '11 minutes' from generate_series(1, 200) i`;
    expect(await bucketsVersusTruth(t.sql)).toEqual([]);
    const clean = await t.gql(DRIFT, {}, 'ADMIN');
    expect(clean.errors).toBeUndefined();
    expect(clean.data!.failureCountDrift.drift).toBe(0);

    // Five failures the triggers never see (as a restore with --disable-triggers would write them).
    await t.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into orchestrator_events (kind, success, occurred_at)
        select 'TRAFFIC', false, now() - i * interval '13 minutes' from generate_series(1, 3) i`;
      await tx`insert into orchestrator_emails (success, occurred_at) select false, now() - interval '2 hours' from generate_series(1, 2)`;
      // A success written the same way changes no count.
      await tx`insert into orchestrator_emails (success) values (true)`;
    });
    expect(await badge()).toBe((await failedRows()) - 5);

    const drifted = await t.gql(DRIFT, {}, 'ADMIN');
    expect(drifted.data!.failureCountDrift.drift).toBe(5);
    expect(drifted.data!.failureCountDrift.tables).toEqual([
      { table: 'orchestrator_emails', minuteDrift: 2, hourDrift: 2, drift: 2 },
      { table: 'orchestrator_events', minuteDrift: 3, hourDrift: 3, drift: 3 },
    ]);
    // The check changes nothing.
    expect((await bucketsVersusTruth(t.sql)).length).toBeGreaterThan(0);

    const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
    expect(result.errors).toBeUndefined();
    expect(result.data!.rebalanceFailureCounts.drift).toBe(5);
    expect(await bucketsVersusTruth(t.sql)).toEqual([]);
    expect(await badge()).toBe(await failedRows());

    // Corrupt the buckets in SQL: 4 invented failures in a minute bucket (and its hour), and 3 lost from an hour bucket only.
    await t.sql`update orchestrator_failure_minutes set failures = failures + 4
                where (minute, kind, slot) = (select minute, kind, slot from orchestrator_failure_minutes where kind = 'FILE' order by minute desc limit 1)`;
    await t.sql`update orchestrator_failure_hours set failures = failures + 4
                where (hour, kind) = (select date_trunc('hour', max(minute), 'UTC'), 'FILE' from orchestrator_failure_minutes where kind = 'FILE') and slot = 0`;
    await t.sql`update orchestrator_failure_hours set failures = failures - 3
                where (hour, kind, slot) = (select hour, kind, slot from orchestrator_failure_hours where kind = 'EMAIL' order by hour limit 1)`;
    const again = await t.gql(REBALANCE, {}, 'SUPERADMIN');
    expect(again.data!.rebalanceFailureCounts.drift).toBe(7);
    expect(again.data!.rebalanceFailureCounts.tables).toEqual([
      { table: 'orchestrator_emails', minuteDrift: 0, hourDrift: 3, drift: 3 },
      { table: 'orchestrator_events', minuteDrift: 4, hourDrift: 4, drift: 4 },
    ]);
    expect(await bucketsVersusTruth(t.sql)).toEqual([]);
    expect(await badge()).toBe(await failedRows());

    // Nothing left to fix.
    expect((await t.gql(REBALANCE, {}, 'SUPERADMIN')).data!.rebalanceFailureCounts.drift).toBe(0);
  });

  it('is audited with the drift it fixed, per table and per minute and hour counts', async () => {
    await t.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into orchestrator_events (kind, success) values ('FILE', false)`;
    });
    const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
    expect(result.data!.rebalanceFailureCounts.drift).toBe(1);
    const [entry] = await t.sql<{ actor: string; details: any }[]>`
      select actor, details from audit_log where action = 'rebalanceFailureCounts' order by id desc limit 1`;
    expect(entry!.actor).toBe('test-superadmin');
    expect(entry!.details.drift).toBe(1);
    expect(entry!.details.tables).toContainEqual({ table: 'orchestrator_events', minuteDrift: 1, hourDrift: 1, drift: 1 });
    expect(entry!.details.kinds).toContainEqual({ kind: 'FILE', minuteDrift: 1, hourDrift: 1, drift: 1 });
  });

  it('refuses lower roles: the rebalance is SUPERADMIN, the drift check ADMIN', async () => {
    expect(codes(await t.gql(REBALANCE, {}, 'ADMIN'))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(REBALANCE, {}, null))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.gql(DRIFT, {}, 'OPERATOR'))).toEqual(['FORBIDDEN']);
    expect((await t.gql(DRIFT, {}, 'SUPERADMIN')).errors).toBeUndefined();
  });
});

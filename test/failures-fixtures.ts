// SQL probes shared by the failure-bucket test files.
import type { Sql } from '../src/db/client.js';

/** Minute and hour buckets (slots summed) next to a GROUP BY of the failed rows: the rows that differ. */
export async function bucketsVersusTruth(sql: Sql) {
  return sql<{ grain: string; at: Date; kind: string; stored: number; truth: number }[]>`
    with failed as (
      select kind, occurred_at from orchestrator_events where not success
      union all select 'EMAIL', occurred_at from orchestrator_emails where not success
    ), truth as (
      select 'minute' as grain, date_trunc('minute', occurred_at, 'UTC') as at, kind, count(*) as n from failed group by 2, 3
      union all
      select 'hour', date_trunc('hour', occurred_at, 'UTC'), kind, count(*) from failed group by 2, 3
    ), stored as (
      select 'minute' as grain, minute as at, kind, sum(failures) as n from orchestrator_failure_minutes group by 2, 3
      union all
      select 'hour', hour, kind, sum(failures) from orchestrator_failure_hours group by 2, 3
    )
    select coalesce(t.grain, s.grain) as grain, coalesce(t.at, s.at) as at, coalesce(t.kind, s.kind) as kind,
           coalesce(s.n, 0)::int as stored, coalesce(t.n, 0)::int as truth
    from truth t full join stored s on s.grain = t.grain and s.at = t.at and s.kind = t.kind
    where coalesce(t.n, 0) <> coalesce(s.n, 0)`;
}

const ROLLBACK = new Error('rollback');

/** Runs `fn` in a transaction that is rolled back, so each property run starts from empty tables. */
export async function rolledBack(sql: Sql, fn: (tx: Sql) => Promise<void>): Promise<void> {
  await sql
    .begin(async (tx) => {
      await fn(tx as unknown as Sql);
      throw ROLLBACK;
    })
    .catch((error) => {
      if (error !== ROLLBACK) throw error;
    });
}

import type { Sql } from './client.js';
import type { OrchestratorKind } from './orchestrator-events.js';

/** How far the failure buckets of one kind were from the event tables, in failures (sql/00170). */
export interface KindDrift {
  kind: OrchestratorKind;
  /** Summed error of the minute buckets. */
  minuteDrift: number;
  /** Summed error of the hour buckets. */
  hourDrift: number;
  /** Failures missed or invented, each counted once whichever buckets were off. */
  drift: number;
}

/**
 * Holds off every writer of both event tables until the caller's transaction
 * ends, and waits for those already writing to commit. SHARE ROW EXCLUSIVE
 * conflicts with writers' ROW EXCLUSIVE and with itself (two rebalances queue),
 * not with readers, so failureCount keeps answering.
 */
export async function lockFailureSources(tx: Sql): Promise<void> {
  await tx`lock table orchestrator_events, orchestrator_emails in share row exclusive mode`;
}

/**
 * Compares the buckets with a fresh GROUP BY of the failed rows, per kind; with
 * `repair`, also replaces the buckets by that count. A new statement, so in READ
 * COMMITTED it sees every write committed before it.
 */
export async function checkFailureBuckets(sql: Sql, repair: boolean): Promise<KindDrift[]> {
  const rows = await sql<{ kind: OrchestratorKind; minuteDrift: string; hourDrift: string; drift: string }[]>`
    select kind, minute_drift::text as "minuteDrift", hour_drift::text as "hourDrift", drift::text as drift
    from orchestrator_failures_check(${repair}) order by kind`;
  return rows.map((row) => ({
    kind: row.kind,
    minuteDrift: Number(row.minuteDrift),
    hourDrift: Number(row.hourDrift),
    drift: Number(row.drift),
  }));
}

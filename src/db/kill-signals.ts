import type { Sql } from './client.js';

export interface KillSignalRow {
  id: string;
  execId: string;
  jobId: string;
  requestedBy: string;
  requestedAt: Date;
}

const columns = (sql: Sql) => sql`
  id::text, exec_id::text as "execId", job_id as "jobId", requested_by as "requestedBy", requested_at as "requestedAt"`;

/** One durable signal per execution, in the caller's transaction. */
export async function insertKillSignals(
  sql: Sql,
  signal: { jobId: string; execIds: string[]; requestedBy: string },
): Promise<KillSignalRow[]> {
  if (signal.execIds.length === 0) return [];
  return sql<KillSignalRow[]>`
    insert into kill_signals (exec_id, job_id, requested_by)
    select exec_id, ${signal.jobId}, ${signal.requestedBy}
    from unnest(${sql.array(signal.execIds)}::bigint[]) as exec_id
    returning ${columns(sql)}`;
}

/**
 * Signals by their own ids and/or by the executions they target, oldest first.
 */
export async function loadKillSignals(
  sql: Sql,
  by: { ids?: readonly string[]; execIds?: readonly string[] },
): Promise<KillSignalRow[]> {
  const ids = by.ids ? sql.array(by.ids as string[]) : null;
  const execIds = by.execIds ? sql.array(by.execIds as string[]) : null;
  return sql<KillSignalRow[]>`
    select ${columns(sql)} from kill_signals
    where (${ids}::bigint[] is null or id = any(${ids}::bigint[]))
      and (${execIds}::bigint[] is null or exec_id = any(${execIds}::bigint[]))
    order by id`;
}

/** Signals requested from `from` on (none when null), with the database clock at the time of reading. */
export async function killSignalsSince(sql: Sql, from: Date | null): Promise<{ rows: KillSignalRow[]; now: Date }> {
  const [clock] = await sql<{ now: Date }[]>`select now()`;
  if (from === null) return { rows: [], now: clock!.now };
  const rows = await sql<KillSignalRow[]>`
    select ${columns(sql)} from kill_signals where requested_at >= ${from} order by id`;
  return { rows, now: clock!.now };
}

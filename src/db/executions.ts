import type { Sql } from './client.js';

export type ExecutionStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED';

export interface ExecutionRow {
  id: string;
  jobId: string;
  version: string;
  initiatedBy: string;
  targetCount: number;
  resultCount: number;
  failedCount: number;
  status: ExecutionStatus;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface ExecutionFilter {
  jobId: string | null;
  status: ExecutionStatus | null;
}

const columns = (sql: Sql) => sql`
  id::text, job_id as "jobId", version, initiated_by as "initiatedBy", target_count as "targetCount",
  result_count as "resultCount", failed_count as "failedCount", status, created_at as "createdAt",
  finished_at as "finishedAt"`;

export async function insertExecution(
  sql: Sql,
  execution: { jobId: string; version: string; initiatedBy: string; targetCount: number },
): Promise<ExecutionRow> {
  const [row] = await sql<ExecutionRow[]>`
    insert into executions (job_id, version, initiated_by, target_count)
    values (${execution.jobId}, ${execution.version}, ${execution.initiatedBy}, ${execution.targetCount})
    returning ${columns(sql)}`;
  return row!;
}

export async function executionsByIds(sql: Sql, ids: readonly string[]): Promise<ExecutionRow[]> {
  return sql<ExecutionRow[]>`select ${columns(sql)} from executions where id = any(${sql.array(ids as string[])}::bigint[])`;
}

/** Locks the execution until the transaction ends, so concurrent results count one after another. */
export async function lockExecution(sql: Sql, id: string): Promise<ExecutionRow | null> {
  const [row] = await sql<ExecutionRow[]>`select ${columns(sql)} from executions where id = ${id}::bigint for update`;
  return row ?? null;
}

/** Stores one agent's result; false if that agent had already reported for this execution. */
export async function insertResult(
  sql: Sql,
  result: { execId: string; agentId: string; success: boolean; output: string | null },
): Promise<boolean> {
  const rows = await sql`
    insert into execution_results (exec_id, agent_id, success, output)
    values (${result.execId}::bigint, ${result.agentId}, ${result.success}, ${result.output})
    on conflict (exec_id, agent_id) do nothing
    returning 1`;
  return rows.length === 1;
}

export async function updateProgress(
  sql: Sql,
  id: string,
  progress: Pick<ExecutionRow, 'resultCount' | 'failedCount' | 'status' | 'finishedAt'>,
): Promise<ExecutionRow> {
  const [row] = await sql<ExecutionRow[]>`
    update executions
    set result_count = ${progress.resultCount}, failed_count = ${progress.failedCount},
        status = ${progress.status}, finished_at = ${progress.finishedAt}
    where id = ${id}::bigint
    returning ${columns(sql)}`;
  return row!;
}

/** The job's PENDING and RUNNING executions, locked, so none finishes or is counted twice meanwhile. */
export async function lockInFlightOfJob(sql: Sql, jobId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id::text from executions
    where job_id = ${jobId} and status in ('PENDING', 'RUNNING')
    order by id
    for update`;
  return rows.map((row) => row.id);
}

const matching = (sql: Sql, filter: ExecutionFilter) => sql`
  (${filter.jobId}::text is null or job_id = ${filter.jobId})
  and (${filter.status}::text is null or status = ${filter.status})`;

export async function listExecutions(
  sql: Sql,
  filter: ExecutionFilter & { limit: number; beforeId: string | null },
): Promise<ExecutionRow[]> {
  return sql<ExecutionRow[]>`
    select ${columns(sql)} from executions
    where ${matching(sql, filter)} and (${filter.beforeId}::bigint is null or id < ${filter.beforeId}::bigint)
    order by id desc
    limit ${filter.limit}`;
}

export async function countExecutions(sql: Sql, filter: ExecutionFilter): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from executions where ${matching(sql, filter)}`;
  return row!.n;
}

/**
 * Fails up to `limit` executions still in flight `timeoutMs` after they were
 * created, oldest first, each missing result counted as a failure. Rows another
 * transaction holds (a result being reported, a kill, another reaper) are
 * skipped, not waited for: they are looked at again next sweep. A row whose
 * result committed first is re-checked after locking, so one that completed is
 * never reaped. Returns the reaped ids.
 */
export async function reapOverdue(sql: Sql, opts: { timeoutMs: number; reason: string; limit: number }): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    with overdue as (
      select id from executions
      where status in ('PENDING', 'RUNNING')
        and created_at <= now() - ${opts.timeoutMs} * interval '1 millisecond'
      order by created_at, id
      limit ${opts.limit}
      for update skip locked
    ),
    reaped as (
      update executions e
      set status = 'FAILED', finished_at = now(), finish_reason = ${opts.reason},
          unreported_count = e.target_count - e.result_count,
          failed_count = e.failed_count + (e.target_count - e.result_count)
      from overdue
      where e.id = overdue.id
      returning e.id
    )
    select id::text from reaped order by id`;
  return rows.map((row) => row.id);
}

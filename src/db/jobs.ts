import type { Sql } from './client.js';

export interface JobRow {
  id: string;
  version: string;
  description: string | null;
  inventory: boolean;
  /** Where jobs are listed in bulk, PostgreSQL's text of the instant: parsed (by DateTime) only if a client asks for it. */
  createdAt: Date | string;
  updatedAt: Date | string;
  /** In-flight counts, where the statement that read the job computed them too. */
  running?: number;
  pending?: number;
}

/** Executions in flight: published with no result yet (pending), or with some results and more to come (running). */
export interface InFlightCounts {
  running: number;
  pending: number;
}

/** One job's in-flight counts; `id` is the job's, so a job row read with its counts is its own LiveCounts. */
export interface LiveCounts extends InFlightCounts {
  id: string;
}

export async function upsertJob(
  sql: Sql,
  job: { id: string; version: string; description: string | null; inventory: boolean },
): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    insert into jobs (id, version, description, inventory)
    values (${job.id}, ${job.version}, ${job.description}, ${job.inventory})
    on conflict (id) do update
      set version = excluded.version, description = excluded.description,
          inventory = excluded.inventory, updated_at = now()
    returning id, version, description, inventory, created_at as "createdAt", updated_at as "updatedAt"`;
  return row!;
}

/**
 * The whole catalog with each job's in-flight counts in the same rows, in one
 * statement, from the counter cache of sql/00180 (a row per job and in-flight
 * status, none for a job with nothing in flight). Byte order, so the
 * listing is the same on every server whatever its locale. The timestamps stay
 * text: turning 2 000 of them into Dates took a sixth of the listing's CPU,
 * for a list that is mostly read for its counts.
 */
export async function listJobsWithLiveCounts(sql: Sql): Promise<(JobRow & LiveCounts)[]> {
  return sql<(JobRow & LiveCounts)[]>`
    select j.id, j.version, j.description, j.inventory, j.created_at::text as "createdAt", j.updated_at::text as "updatedAt",
           coalesce(r.n, 0)::int as running, coalesce(p.n, 0)::int as pending
    from jobs j
    left join execution_live_counts r on r.job_id = j.id and r.status = 'RUNNING'
    left join execution_live_counts p on p.job_id = j.id and p.status = 'PENDING'
    order by j.id collate "C"`;
}

/** listJobsWithLiveCounts with only the ids and counts, for a listing that reads nothing else. */
export async function listJobIdsWithLiveCounts(sql: Sql): Promise<LiveCounts[]> {
  return sql<LiveCounts[]>`
    select j.id, coalesce(r.n, 0)::int as running, coalesce(p.n, 0)::int as pending
    from jobs j
    left join execution_live_counts r on r.job_id = j.id and r.status = 'RUNNING'
    left join execution_live_counts p on p.job_id = j.id and p.status = 'PENDING'
    order by j.id collate "C"`;
}

export async function jobsByIds(sql: Sql, ids: readonly string[]): Promise<JobRow[]> {
  return sql<JobRow[]>`
    select id, version, description, inventory, created_at as "createdAt", updated_at as "updatedAt"
    from jobs where id = any(${sql.array(ids as string[])}::text[])`;
}

/**
 * Locks the job row for the rest of the transaction: `update` for writers that
 * remove it (deleteJob), `share` for those that need it to stay (schedules,
 * executions, unrevoke), so the two kinds serialise. Null if there is no such job.
 */
export async function lockJob(sql: Sql, id: string, mode: 'update' | 'share'): Promise<JobRow | null> {
  const lock = mode === 'update' ? sql`for update` : sql`for share`;
  const [row] = await sql<JobRow[]>`
    select id, version, description, inventory, created_at as "createdAt", updated_at as "updatedAt"
    from jobs where id = ${id} ${lock}`;
  return row ?? null;
}

export async function deleteJob(sql: Sql, id: string): Promise<void> {
  await sql`delete from jobs where id = ${id}`;
}

/**
 * In-flight counts of the given jobs, from the counter cache of sql/00180.
 * Jobs with nothing in flight are absent from the result.
 */
export async function liveCountsByJob(sql: Sql, jobIds: readonly string[]): Promise<Map<string, LiveCounts>> {
  const rows = await sql<LiveCounts[]>`
    select job_id as id,
           coalesce(sum(n) filter (where status = 'RUNNING'), 0)::int as running,
           coalesce(sum(n) filter (where status = 'PENDING'), 0)::int as pending
    from execution_live_counts
    where job_id = any(${sql.array(jobIds as string[])}::text[])
    group by job_id`;
  return new Map(rows.map((row) => [row.id, row]));
}

/** In-flight counts over every job, history included for deleted jobs (the counter cache of sql/00180). */
export async function inFlightTotals(sql: Sql): Promise<InFlightCounts> {
  const [row] = await sql<InFlightCounts[]>`
    select coalesce(sum(n) filter (where status = 'RUNNING'), 0)::int as running,
           coalesce(sum(n) filter (where status = 'PENDING'), 0)::int as pending
    from execution_live_counts`;
  return row!;
}

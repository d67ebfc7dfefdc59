import type { Sql } from './client.js';

export type ScriptStatus = 'ACTIVE' | 'REVOKED';

/** Statuses of the given job ids; an id without a row has never been revoked. */
export async function scriptStatuses(sql: Sql, jobIds: readonly string[]): Promise<Map<string, ScriptStatus>> {
  const rows = await sql<{ jobId: string; status: ScriptStatus }[]>`
    select job_id as "jobId", status from script_status where job_id = any(${sql.array(jobIds as string[])}::text[])`;
  return new Map(rows.map((row) => [row.jobId, row.status]));
}

export async function scriptStatusOf(sql: Sql, jobId: string): Promise<ScriptStatus> {
  const [row] = await sql<{ status: ScriptStatus }[]>`select status from script_status where job_id = ${jobId}`;
  return row?.status ?? 'ACTIVE';
}

export async function setScriptStatus(sql: Sql, jobId: string, status: ScriptStatus): Promise<void> {
  await sql`
    insert into script_status (job_id, status) values (${jobId}, ${status})
    on conflict (job_id) do update set status = excluded.status, updated_at = now()`;
}

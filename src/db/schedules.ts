import type { Sql } from './client.js';

export interface ScheduleRow {
  id: string;
  jobId: string;
  cron: string;
  enabled: boolean;
}

export async function upsertSchedule(sql: Sql, schedule: ScheduleRow): Promise<ScheduleRow> {
  const [row] = await sql<ScheduleRow[]>`
    insert into schedules (id, job_id, cron, enabled)
    values (${schedule.id}, ${schedule.jobId}, ${schedule.cron}, ${schedule.enabled})
    on conflict (id) do update
      set job_id = excluded.job_id, cron = excluded.cron, enabled = excluded.enabled, updated_at = now()
    returning id, job_id as "jobId", cron, enabled`;
  return row!;
}

/** The id of the deleted schedule, or null if there was none. */
export async function deleteSchedule(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`delete from schedules where id = ${id} returning id`;
  return row?.id ?? null;
}

export async function listSchedules(sql: Sql): Promise<ScheduleRow[]> {
  return sql<ScheduleRow[]>`
    select id, job_id as "jobId", cron, enabled from schedules order by id collate "C"`;
}

export async function schedulesByIds(sql: Sql, ids: readonly string[]): Promise<ScheduleRow[]> {
  return sql<ScheduleRow[]>`
    select id, job_id as "jobId", cron, enabled from schedules where id = any(${sql.array(ids as string[])}::text[])`;
}

export async function scheduleIdsOfJob(sql: Sql, jobId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from schedules where job_id = ${jobId} order by id collate "C"`;
  return rows.map((row) => row.id);
}

import type { Sql } from './client.js';

export interface KillSignalRow {
  id: string;
  execId: string;
  jobId: string;
  requestedBy: string;
  requestedAt: Date;
}

/** Signals requested from `from` on, with the database's clock at the time of reading. */
export async function killSignalsSince(sql: Sql, from: Date | null): Promise<{ rows: KillSignalRow[]; now: Date }> {
  const [clock] = await sql<{ now: Date }[]>`select now()`;
  if (from === null) return { rows: [], now: clock!.now };
  const rows = await sql<KillSignalRow[]>`
    select id::text, exec_id::text as "execId", job_id as "jobId", requested_by as "requestedBy", requested_at as "requestedAt"
    from kill_signals
    where requested_at >= ${from}
    order by id`;
  return { rows, now: clock!.now };
}

// The bench datasets, loaded in SQL (insert … select … from generate_series)
// and deterministic: row g's attributes come from g alone, through `spread(g)`
// below, never random(), so two runs at one scale hold the same rows (their
// timestamps count back from the moment of loading). bench/run.ts loads all of
// them; the per-domain benches load the parts they measure.
import type postgres from 'postgres';

type Sql = postgres.Sql<{}>;

/**
 * A fraction in [0, 1) per integer `g`: Knuth's multiplicative hash. A Weyl
 * sequence, so every arithmetic subsequence (every 3rd row, every 100th) is
 * spread evenly too, unlike `g % n`, which correlates with the other moduli.
 */
const spread = (g: string) => `((${g}::bigint * 2654435761) % 4294967296)::float8 / 4294967296`;

export const SCAN_TYPES = 20;
export const JOBS = 1000;

/**
 * Orchestrator events and e-mails over the 8 days before now, a third of them
 * e-mails, 10 % failed; written through the bucket triggers of sql/00020 in
 * chunks, so each statement's transition table stays small.
 */
export async function loadEvents(sql: Sql, count: number, chunk = 1_000_000): Promise<void> {
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    // Row g occurred g/count of 8 days ago; every third row is an e-mail.
    await sql.unsafe(`
      insert into orchestrator_events (kind, success, occurred_at)
      select case when g % 2 = 0 then 'TRAFFIC' else 'FILE' end, ${spread('g')} >= 0.1, now() - (g::float8 / ${count}) * interval '8 days'
      from generate_series(${from}, ${to}) g where g % 3 <> 0`);
    await sql.unsafe(`
      insert into orchestrator_emails (success, occurred_at)
      select ${spread('g')} >= 0.1, now() - (g::float8 / ${count}) * interval '8 days'
      from generate_series(${from}, ${to}) g where g % 3 = 0`);
  }
  await sql`vacuum analyze orchestrator_events, orchestrator_emails, orchestrator_failure_minutes, orchestrator_failure_hours`;
}

/** Scans of SCAN_TYPES types, one a second going back from now. The counter cache is left alone. */
export async function loadScans(sql: Sql, count: number): Promise<void> {
  await sql.unsafe(`
    insert into scans (scan_type, subject_id, scanned_by, created_at)
    select 'type_' || lpad((g % ${SCAN_TYPES})::text, 2, '0'), 'badge-' || (g % 5000), 'loader', now() - (g || ' seconds')::interval
    from generate_series(1, ${count}) g`);
  await sql`vacuum analyze scans`;
}

/** The counter cache as a busy system leaves it: each type's count spread over 64 slots, and exact. */
export async function loadScanCounters(sql: Sql): Promise<void> {
  await sql`delete from scan_counters`;
  await sql`insert into scan_counters (scan_type, slot, count) select scan_type, id % 64, count(*) from scans group by 1, 2`;
  await sql`vacuum analyze scan_counters`;
}

/**
 * JOBS jobs and `count` executions, one a second going back from now, spread
 * over the jobs; 1 % in flight (half RUNNING, half PENDING), 9 % FAILED, the
 * rest COMPLETED.
 */
export async function loadJobs(sql: Sql, count: number): Promise<void> {
  await sql.unsafe(`
    insert into jobs (id, version)
    select 'job-' || lpad(i::text, 4, '0'), '1' from generate_series(0, ${JOBS - 1}) as i`);
  await sql.unsafe(`
    insert into executions (job_id, version, initiated_by, target_count, result_count, status, created_at, finished_at)
    select 'job-' || lpad(floor(${spread('i')} * ${JOBS})::int::text, 4, '0'), '1', 'bench', 10,
           case when i % 100 = 0 then 0 else 10 end,
           case when i % 200 = 0 then 'RUNNING' when i % 100 = 0 then 'PENDING'
                when i % 10 = 0 then 'FAILED' else 'COMPLETED' end,
           now() - make_interval(secs => i), case when i % 100 = 0 then null else now() end
    from generate_series(1, ${count}) as i`);
  await sql`vacuum analyze jobs, executions`;
}

/**
 * An outbox that has been running a while: 85 % SENT, 10 % READ, 2 % FAILED
 * (waiting for a retry), 1 % DEAD, 2 % PENDING; 1 % of the rows on a channel
 * this server does not serve, which the API's counts leave out.
 */
export async function loadNotifications(sql: Sql, count: number): Promise<void> {
  await sql.unsafe(`
    insert into notifications (channel, recipient, subject, body, status, retry_count, next_retry_at, sent_at, created_at)
    select case when g % 100 = 7 then 'SMS' when g % 4 = 0 then 'LOG' else 'WEBHOOK' end,
           'https://hooks.example/ops', 'alert ' || g, 'disk almost full',
           s.status, case when s.status in ('FAILED', 'DEAD') then 3 else 0 end,
           case when s.status = 'FAILED' then now() + interval '1 hour' end,
           case when s.status in ('SENT', 'READ') then now() - make_interval(secs => g) end,
           now() - make_interval(secs => g)
    from generate_series(1, ${count}) g,
         lateral (select case when f < 0.01 then 'DEAD' when f < 0.03 then 'FAILED' when f < 0.05 then 'PENDING'
                              when f < 0.15 then 'READ' else 'SENT' end as status
                  from (select ${spread('g')} as f) h) s`);
  await sql`vacuum analyze notifications`;
}

export interface DatasetSize {
  events: number;
  scans: number;
  executions: number;
  notifications: number;
}

/** Issue 10's dataset at BENCH_SCALE 1: 10M events, 2M scans, 1 000 jobs with 1M executions, 1M notifications. */
export function datasetSize(scale: number): DatasetSize {
  return {
    events: Math.round(10_000_000 * scale),
    scans: Math.round(2_000_000 * scale),
    executions: Math.round(1_000_000 * scale),
    notifications: Math.round(1_000_000 * scale),
  };
}

export async function loadDataset(sql: Sql, size: DatasetSize): Promise<void> {
  await loadEvents(sql, size.events);
  await loadScans(sql, size.scans);
  await loadScanCounters(sql);
  await loadJobs(sql, size.executions);
  await loadNotifications(sql, size.notifications);
}

-- The badges as a PostGraphile user would expose them: SQL views and stable
-- functions in a schema of their own, which PostGraphile turns into Query
-- fields. Each runs the same SQL as opsgraph (src/db): the failure count calls
-- the same bucket function, orchestrator_failure_count of sql/00020, so the two
-- servers differ only in what they do around the database.
drop schema if exists bench_pg cascade;
create schema bench_pg;

create type bench_pg.failure_badge as (count int, as_of timestamptz);

-- failureCount(since: {hours: 1}) { count asOf }
create function bench_pg.failure_count(since interval) returns bench_pg.failure_badge
language sql stable as $$
  select public.orchestrator_failure_count(as_of - since, as_of, null)::int, as_of
  from (select date_trunc('milliseconds', now()) as as_of) clock
$$;

-- allScanStats { nodes { scanType count } }: slots summed per type, zero sums left out.
create view bench_pg.scan_stats as
  select scan_type, sum(count)::int as count
  from public.scan_counters
  group by scan_type
  having sum(count) <> 0
  order by scan_type collate "C";

create type bench_pg.scan_totals as (total int, updated_at timestamptz);

-- scanTotal { total updatedAt }
create function bench_pg.scan_total() returns bench_pg.scan_totals
language sql stable as $$
  select coalesce(sum(count), 0)::int, max(updated_at) from public.scan_counters
$$;

-- allJobLives { nodes { jobId running pending } }: every job with its in-flight
-- counts from the counter cache of sql/00180, in one query.
create view bench_pg.job_live as
  select j.id as job_id, coalesce(r.n, 0)::int as running, coalesce(p.n, 0)::int as pending
  from public.jobs j
  left join public.execution_live_counts r on r.job_id = j.id and r.status = 'RUNNING'
  left join public.execution_live_counts p on p.job_id = j.id and p.status = 'PENDING'
  order by j.id collate "C";

create type bench_pg.in_flight as (running int, pending int);

create function bench_pg.in_flight_totals() returns bench_pg.in_flight
language sql stable as $$
  select coalesce(sum(n) filter (where status = 'RUNNING'), 0)::int, coalesce(sum(n) filter (where status = 'PENDING'), 0)::int
  from public.execution_live_counts
$$;

-- The dashboard's notification badges, from the counter cache of sql/00180 (every channel, as opsgraph counts).
create function bench_pg.dead_letter_count() returns int
language sql stable as $$
  select coalesce(sum(n), 0)::int from public.notification_status_counts where status = 'DEAD'
$$;

create function bench_pg.failed_notification_count() returns int
language sql stable as $$
  select coalesce(sum(n), 0)::int from public.notification_status_counts where status = 'FAILED'
$$;

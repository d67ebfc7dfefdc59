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
-- counts, through the partial index executions_in_flight_idx, in one query.
create view bench_pg.job_live as
  select j.id as job_id, coalesce(e.running, 0) as running, coalesce(e.pending, 0) as pending
  from public.jobs j
  left join (
    select job_id,
           count(*) filter (where status = 'RUNNING')::int as running,
           count(*) filter (where status = 'PENDING')::int as pending
    from public.executions
    where status in ('PENDING', 'RUNNING')
    group by job_id
  ) e on e.job_id = j.id
  order by j.id collate "C";

create type bench_pg.in_flight as (running int, pending int);

create function bench_pg.in_flight_totals() returns bench_pg.in_flight
language sql stable as $$
  select count(*) filter (where status = 'RUNNING')::int, count(*) filter (where status = 'PENDING')::int
  from public.executions where status in ('PENDING', 'RUNNING')
$$;

-- The dashboard's notification badges; the channel predicate matches the partial index.
create function bench_pg.dead_letter_count() returns int
language sql stable as $$
  select count(*)::int from public.notifications where status = 'DEAD' and channel in ('WEBHOOK', 'LOG')
$$;

create function bench_pg.failed_notification_count() returns int
language sql stable as $$
  select count(*)::int from public.notifications where status = 'FAILED' and channel in ('WEBHOOK', 'LOG')
$$;

-- Repairing the failure buckets (00020_failure_buckets.sql). The triggers keep
-- them exact for every write they see; a write they do not see (triggers off
-- with session_replication_role = replica, logical replication apply,
-- pg_restore --disable-triggers, a bulk load) leaves them off for good. These
-- functions recount the buckets from the event tables and say how far off they
-- were.
--
-- Drift is counted in failures, whatever the bucket layout: per (hour, kind),
-- the larger of the minute buckets' summed error and the hour bucket's error,
-- so five failed rows written without triggers are a drift of 5, not 10
-- (5 in the minutes and 5 again in the hours).
--
-- The caller takes the locks (src/db/failure-buckets.ts): counting before
-- locking would lose the failures committed in between.

create function orchestrator_failures_check(repair boolean)
returns table (kind text, minute_drift bigint, hour_drift bigint, drift bigint)
language plpgsql as $$
#variable_conflict use_column
begin
  -- One GROUP BY over the failed rows (the partial indexes), shared by the
  -- comparison and the rebuild.
  create temp table if not exists opsgraph_failure_truth (
    minute timestamptz not null, kind text not null, failures bigint not null
  ) on commit drop;
  truncate opsgraph_failure_truth;
  insert into opsgraph_failure_truth
  select date_trunc('minute', f.occurred_at, 'UTC'), f.kind, count(*)
  from (select e.kind, e.occurred_at from orchestrator_events e where not e.success
        union all
        select 'EMAIL', m.occurred_at from orchestrator_emails m where not m.success) f
  group by 1, 2;

  return query
  with stored_minutes as (
    select b.minute, b.kind, sum(b.failures) as failures from orchestrator_failure_minutes b group by 1, 2
  ), minute_errors as (
    select date_trunc('hour', coalesce(t.minute, s.minute), 'UTC') as hour, coalesce(t.kind, s.kind) as kind,
           sum(abs(coalesce(t.failures, 0) - coalesce(s.failures, 0))) as error
    from opsgraph_failure_truth t full join stored_minutes s on s.minute = t.minute and s.kind = t.kind
    group by 1, 2
  ), true_hours as (
    select date_trunc('hour', t.minute, 'UTC') as hour, t.kind, sum(t.failures) as failures
    from opsgraph_failure_truth t group by 1, 2
  ), stored_hours as (
    select b.hour, b.kind, sum(b.failures) as failures from orchestrator_failure_hours b group by 1, 2
  ), hour_errors as (
    select coalesce(t.hour, s.hour) as hour, coalesce(t.kind, s.kind) as kind,
           abs(coalesce(t.failures, 0) - coalesce(s.failures, 0)) as error
    from true_hours t full join stored_hours s on s.hour = t.hour and s.kind = t.kind
  ), per_hour as (
    select coalesce(m.kind, h.kind) as kind, coalesce(m.error, 0) as minute_error, coalesce(h.error, 0) as hour_error
    from minute_errors m full join hour_errors h on h.hour = m.hour and h.kind = m.kind
  )
  select k.kind,
         coalesce(sum(p.minute_error), 0)::bigint,
         coalesce(sum(p.hour_error), 0)::bigint,
         coalesce(sum(greatest(p.minute_error, p.hour_error)), 0)::bigint
  from (values ('TRAFFIC'), ('FILE'), ('EMAIL')) k(kind)
  left join per_hour p on p.kind = k.kind
  group by k.kind;

  if repair then
    -- Slot 0 only: the writers' slots are a way to spread contention, not data.
    delete from orchestrator_failure_minutes;
    insert into orchestrator_failure_minutes (minute, kind, slot, failures)
    select t.minute, t.kind, 0, t.failures from opsgraph_failure_truth t order by 1, 2;
    delete from orchestrator_failure_hours;
    insert into orchestrator_failure_hours (hour, kind, slot, failures)
    select date_trunc('hour', t.minute, 'UTC'), t.kind, 0, sum(t.failures) from opsgraph_failure_truth t group by 1, 2 order by 1, 2;
    -- Live failure badges count again.
    perform pg_notify('opsgraph_failures', '');
  end if;
  truncate opsgraph_failure_truth;
end $$;

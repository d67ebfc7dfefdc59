-- Counter caches for the dashboard's other counts, kept exact by triggers, as
-- the scan counters and the failure buckets are: notifications by status
-- (deadLetterCount, failedNotificationCount, the /metrics gauge) and in-flight
-- executions by job and status (jobs { live }, jobsRunning, jobsPending).
--
-- Counting the rows themselves read every index entry of the status each
-- time: 30 000 for the two notification badges and 10 000 in-flight
-- executions per dashboard at the bench's scale (bench/README.md "Issue 20"),
-- growing with the outbox and the fleet. A count now reads at most 40 rows
-- (notifications) and two per job with something in flight (executions).
--
-- Statement-level triggers with transition tables net each statement's rows
-- into one signed delta per key, so a statement that changes no status writes
-- nothing, and rows are locked in key order (single-statement writers never
-- deadlock on counters). A transaction that moves counts in two statements,
-- in the opposite order to another's, can deadlock on counter rows: every
-- writer in src moves them in one statement per transaction
-- (test/status-counters.test.ts races writers of that shape).

-- One row per (status, slot): a writer adds into one of 8 slots chosen by its
-- backend pid, so concurrent writers of the same status do not serialise on
-- one row (the outbox worker moves many notifications at once); readers sum.
create table notification_status_counts (
  status  text not null,
  slot    smallint not null,
  n       bigint not null,
  primary key (status, slot)
) with (fillfactor = 50); -- room for HOT updates

create function notification_status_counts_add(statuses text[], deltas bigint[])
returns void language plpgsql as $$
declare
  my_slot constant smallint := pg_backend_pid() % 8;
begin
  insert into notification_status_counts as c (status, slot, n)
  select u.status, my_slot, sum(u.delta)
  from unnest(statuses, deltas) as u(status, delta)
  group by 1 having sum(u.delta) <> 0 order by 1
  on conflict (status, slot) do update set n = c.n + excluded.n;
end $$;

create function notifications_track_statuses() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform notification_status_counts_add(array(select status from new_rows), array(select 1::bigint from new_rows));
  elsif tg_op = 'DELETE' then
    perform notification_status_counts_add(array(select status from old_rows), array(select -1::bigint from old_rows));
  else
    perform notification_status_counts_add(array_agg(d.status), array_agg(d.delta))
    from (select status, 1::bigint as delta from new_rows
          union all
          select status, -1::bigint from old_rows) d;
  end if;
  return null;
end $$;

create function notifications_truncate_statuses() returns trigger language plpgsql as $$
begin
  delete from notification_status_counts;
  return null;
end $$;

-- One row per (job, in-flight status), no slots: a job's live counts are read
-- per job, and slots would multiply the rows every listing reads. A row whose
-- count falls to zero is deleted, so the table holds only jobs with something
-- in flight. Writers of the same job's status changes queue for that row until
-- they commit (status changes only: results that leave the status as it is
-- write no counter).
create table execution_live_counts (
  job_id  text not null,
  status  text not null check (status in ('PENDING', 'RUNNING')),
  n       bigint not null,
  primary key (job_id, status)
) with (fillfactor = 50);

create function execution_live_counts_add(job_ids text[], statuses text[], deltas bigint[])
returns void language plpgsql as $$
begin
  with bumped as (
    insert into execution_live_counts as c (job_id, status, n)
    select u.job_id, u.status, sum(u.delta)
    from unnest(job_ids, statuses, deltas) as u(job_id, status, delta)
    where u.status in ('PENDING', 'RUNNING')
    group by 1, 2 having sum(u.delta) <> 0 order by 1, 2
    on conflict (job_id, status) do update set n = c.n + excluded.n
    returning c.job_id, c.status, c.n
  )
  select array_agg(job_id), array_agg(status) into job_ids, statuses from bumped where n = 0;
  -- Rows this statement holds locked (it just wrote them): no other writer can have changed them.
  if job_ids is not null then
    delete from execution_live_counts c
    using unnest(job_ids, statuses) as z(job_id, status)
    where c.job_id = z.job_id and c.status = z.status and c.n = 0;
  end if;
end $$;

create function executions_track_live() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform execution_live_counts_add(array_agg(job_id), array_agg(status), array_agg(1::bigint))
    from new_rows where status in ('PENDING', 'RUNNING') having count(*) > 0;
  elsif tg_op = 'DELETE' then
    perform execution_live_counts_add(array_agg(job_id), array_agg(status), array_agg(-1::bigint))
    from old_rows where status in ('PENDING', 'RUNNING') having count(*) > 0;
  else
    perform execution_live_counts_add(array_agg(d.job_id), array_agg(d.status), array_agg(d.delta))
    from (select job_id, status, 1::bigint as delta from new_rows where status in ('PENDING', 'RUNNING')
          union all
          select job_id, status, -1::bigint from old_rows where status in ('PENDING', 'RUNNING')) d
    having count(*) > 0;
  end if;
  return null;
end $$;

create function executions_truncate_live() returns trigger language plpgsql as $$
begin
  delete from execution_live_counts;
  return null;
end $$;

-- Triggers first: creating one locks out writers until this migration commits,
-- so the backfill below sees every row written before, and the triggers every
-- row written after.
create trigger status_counts_on_insert after insert on notifications
  referencing new table as new_rows for each statement execute function notifications_track_statuses();
create trigger status_counts_on_update after update on notifications
  referencing old table as old_rows new table as new_rows for each statement execute function notifications_track_statuses();
create trigger status_counts_on_delete after delete on notifications
  referencing old table as old_rows for each statement execute function notifications_track_statuses();
create trigger status_counts_on_truncate after truncate on notifications
  for each statement execute function notifications_truncate_statuses();

create trigger live_counts_on_insert after insert on executions
  referencing new table as new_rows for each statement execute function executions_track_live();
create trigger live_counts_on_update after update on executions
  referencing old table as old_rows new table as new_rows for each statement execute function executions_track_live();
create trigger live_counts_on_delete after delete on executions
  referencing old table as old_rows for each statement execute function executions_track_live();
create trigger live_counts_on_truncate after truncate on executions
  for each statement execute function executions_truncate_live();

insert into notification_status_counts (status, slot, n)
select status, 0, count(*) from notifications group by status;

insert into execution_live_counts (job_id, status, n)
select job_id, status, count(*) from executions where status in ('PENDING', 'RUNNING') group by job_id, status;

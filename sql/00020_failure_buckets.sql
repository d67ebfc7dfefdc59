-- Failure buckets: exact failure counts over any window of up to 7 days from
-- a bounded number of rows (at most 168 hour and 118 minute buckets per kind
-- and slot, plus two partial minutes), however many events the tables hold.
--
-- At 10 % failures, a week holds close to a million failed rows, and even an
-- index-only scan of the partial indexes grows with them. So statement-level
-- triggers on both event tables keep per-minute and per-hour failure counts,
-- and a count reads: the raw partial index for the partial minutes at the two
-- edges of the window, minute buckets up to the first and from the last whole
-- hour, and hour buckets in between (orchestrator_failure_count below).
--
-- Buckets are aligned to UTC whatever the session time zone is. Every failing
-- write touches one minute row and one hour row of its kind; to keep that row
-- from serialising concurrent writers, a writer adds into one of 8 slots chosen
-- by its backend pid, and readers sum the slots.

create table orchestrator_failure_minutes (
  minute    timestamptz not null,
  kind      text not null,
  slot      smallint not null,
  failures  bigint not null,
  primary key (minute, kind, slot)
) with (fillfactor = 50); -- room for HOT updates of the current minute's rows

create table orchestrator_failure_hours (
  hour      timestamptz not null,
  kind      text not null,
  slot      smallint not null,
  failures  bigint not null,
  primary key (hour, kind, slot)
) with (fillfactor = 50);

-- Adds signed failure deltas of (kind, instant) pairs into both bucket tables.
-- Rows are locked in key order, minutes before hours, so single-statement
-- writers never deadlock on buckets.
create function orchestrator_failures_add(kinds text[], instants timestamptz[], deltas bigint[])
returns void language plpgsql as $$
declare
  my_slot constant smallint := pg_backend_pid() % 8;
begin
  insert into orchestrator_failure_minutes as b (minute, kind, slot, failures)
  select date_trunc('minute', u.at, 'UTC'), u.kind, my_slot, sum(u.delta)
  from unnest(kinds, instants, deltas) as u(kind, at, delta)
  group by 1, 2 having sum(u.delta) <> 0 order by 1, 2
  on conflict (minute, kind, slot) do update set failures = b.failures + excluded.failures;

  insert into orchestrator_failure_hours as b (hour, kind, slot, failures)
  select date_trunc('hour', u.at, 'UTC'), u.kind, my_slot, sum(u.delta)
  from unnest(kinds, instants, deltas) as u(kind, at, delta)
  group by 1, 2 having sum(u.delta) <> 0 order by 1, 2
  on conflict (hour, kind, slot) do update set failures = b.failures + excluded.failures;

  -- Wake live failure badges (see 00050_change_capture.sql): only writes that
  -- touch failed rows get here, so a stream of successes costs no NOTIFY.
  perform pg_notify('opsgraph_failures', '');
end $$;

-- Transition tables cannot be combined with UPDATE OF column lists, so the
-- update triggers fire on every UPDATE and net the old failed rows against the
-- new ones: an update that changes neither success, occurred_at nor kind adds
-- nothing. Statements that write only successes touch no bucket at all.
create function orchestrator_events_track_failures() returns trigger language plpgsql as $$
declare
  k text[]; t timestamptz[]; d bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(kind), array_agg(occurred_at), array_agg(1::bigint) into k, t, d
    from new_rows where not success;
  elsif tg_op = 'DELETE' then
    select array_agg(kind), array_agg(occurred_at), array_agg(-1::bigint) into k, t, d
    from old_rows where not success;
  else
    select array_agg(kind), array_agg(occurred_at), array_agg(delta) into k, t, d
    from (select kind, occurred_at, -1::bigint as delta from old_rows where not success
          union all
          select kind, occurred_at, 1::bigint from new_rows where not success) changes;
  end if;
  if k is not null then
    perform orchestrator_failures_add(k, t, d);
  end if;
  return null;
end $$;

create function orchestrator_emails_track_failures() returns trigger language plpgsql as $$
declare
  t timestamptz[]; d bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(occurred_at), array_agg(1::bigint) into t, d from new_rows where not success;
  elsif tg_op = 'DELETE' then
    select array_agg(occurred_at), array_agg(-1::bigint) into t, d from old_rows where not success;
  else
    select array_agg(occurred_at), array_agg(delta) into t, d
    from (select occurred_at, -1::bigint as delta from old_rows where not success
          union all
          select occurred_at, 1::bigint from new_rows where not success) changes;
  end if;
  if t is not null then
    perform orchestrator_failures_add(array_fill('EMAIL'::text, array[cardinality(t)]), t, d);
  end if;
  return null;
end $$;

-- TRUNCATE empties a table without row events: drop that table's buckets too.
create function orchestrator_failures_truncate() returns trigger language plpgsql as $$
begin
  delete from orchestrator_failure_minutes where kind = any(tg_argv);
  delete from orchestrator_failure_hours where kind = any(tg_argv);
  perform pg_notify('opsgraph_failures', '');
  return null;
end $$;

-- Triggers first: creating one locks out writers until this migration commits,
-- so the backfill below sees every row written before, and the triggers every
-- row written after.
create trigger failures_on_insert after insert on orchestrator_events
  referencing new table as new_rows for each statement execute function orchestrator_events_track_failures();
create trigger failures_on_update after update on orchestrator_events
  referencing old table as old_rows new table as new_rows for each statement execute function orchestrator_events_track_failures();
create trigger failures_on_delete after delete on orchestrator_events
  referencing old table as old_rows for each statement execute function orchestrator_events_track_failures();
create trigger failures_on_truncate after truncate on orchestrator_events
  for each statement execute function orchestrator_failures_truncate('TRAFFIC', 'FILE');

create trigger failures_on_insert after insert on orchestrator_emails
  referencing new table as new_rows for each statement execute function orchestrator_emails_track_failures();
create trigger failures_on_update after update on orchestrator_emails
  referencing old table as old_rows new table as new_rows for each statement execute function orchestrator_emails_track_failures();
create trigger failures_on_delete after delete on orchestrator_emails
  referencing old table as old_rows for each statement execute function orchestrator_emails_track_failures();
create trigger failures_on_truncate after truncate on orchestrator_emails
  for each statement execute function orchestrator_failures_truncate('EMAIL');

insert into orchestrator_failure_minutes (minute, kind, slot, failures)
select date_trunc('minute', occurred_at, 'UTC'), kind, 0, count(*)
from (select kind, occurred_at from orchestrator_events where not success
      union all
      select 'EMAIL', occurred_at from orchestrator_emails where not success) failed
group by 1, 2;

insert into orchestrator_failure_hours (hour, kind, slot, failures)
select date_trunc('hour', minute, 'UTC'), kind, 0, sum(failures)
from orchestrator_failure_minutes group by 1, 2;

-- Failed rows with occurred_at in [lo, hi), of the given kinds (null: all),
-- straight from the partial indexes.
create function orchestrator_failures_raw(lo timestamptz, hi timestamptz, kinds text[])
returns bigint language plpgsql stable as $$
begin
  return (select count(*) from orchestrator_events
          where not success and occurred_at >= lo and occurred_at < hi
            and (kinds is null or kind = any(kinds)))
       + (select count(*) from orchestrator_emails
          where not success and occurred_at >= lo and occurred_at < hi
            and (kinds is null or 'EMAIL' = any(kinds)));
end $$;

-- The minute buckets in [lo, hi); lo and hi are whole minutes.
create function orchestrator_failures_in_minutes(lo timestamptz, hi timestamptz, kinds text[])
returns bigint language plpgsql stable as $$
begin
  return (select coalesce(sum(failures), 0) from orchestrator_failure_minutes
          where minute >= lo and minute < hi and (kinds is null or kind = any(kinds)));
end $$;

-- The hour buckets in [lo, hi); lo and hi are whole hours.
create function orchestrator_failures_in_hours(lo timestamptz, hi timestamptz, kinds text[])
returns bigint language plpgsql stable as $$
begin
  return (select coalesce(sum(failures), 0) from orchestrator_failure_hours
          where hour >= lo and hour < hi and (kinds is null or kind = any(kinds)));
end $$;

-- Failed rows whose occurred_at lies in [lo, hi], both ends inclusive, of the
-- given kinds (null: all). Exact: one snapshot reads rows and buckets alike,
-- and the buckets change in the very transactions that change the rows.
--   raw [lo, m1) + minutes [m1, h1) + hours [h1, h2) + minutes [h2, m2) + raw [m2, hi]
create function orchestrator_failure_count(lo timestamptz, hi timestamptz, kinds text[])
returns bigint language plpgsql stable as $$
declare
  -- timestamptz counts whole microseconds, so [lo, hi] is [lo, hi + 1 µs)
  upto constant timestamptz := hi + interval '1 microsecond';
  m1 timestamptz := date_trunc('minute', lo, 'UTC'); -- first whole minute
  m2 constant timestamptz := date_trunc('minute', upto, 'UTC'); -- end of the last whole minute
  h1 timestamptz;
  h2 timestamptz;
begin
  if m1 < lo then m1 := m1 + interval '1 minute'; end if;
  if m1 >= m2 then
    return orchestrator_failures_raw(lo, upto, kinds);
  end if;
  h1 := date_trunc('hour', m1, 'UTC');
  if h1 < m1 then h1 := h1 + interval '1 hour'; end if;
  h2 := date_trunc('hour', m2, 'UTC');
  if h1 >= h2 then
    h1 := m2; h2 := m2; -- no whole hour: minutes all the way
  end if;
  return orchestrator_failures_raw(lo, m1, kinds)
       + orchestrator_failures_in_minutes(m1, h1, kinds)
       + orchestrator_failures_in_hours(h1, h2, kinds)
       + orchestrator_failures_in_minutes(h2, m2, kinds)
       + orchestrator_failures_raw(m2, upto, kinds);
end $$;

-- The failure series (Query.failureSeries): failed rows per step and per kind
-- over [lo, hi], both ends inclusive, i.e. what orchestrator_failure_count
-- counts (sql/00020), split at the steps, in one statement.
--
-- Steps are aligned to the UTC epoch (date_bin): a step of whole minutes holds
-- whole minutes, one of whole hours whole hours, so those are read from their
-- buckets; the partial minutes at the window's edges, and everything when the
-- steps are not whole minutes (only allowed for windows up to 1 h), come from
-- the partial indexes. Output column names differ from the tables' so that
-- they cannot shadow a column inside the function.
--   raw [lo, m1) + minutes [m1, h1) + hours [h1, h2) + minutes [h2, m2) + raw [m2, hi]
-- One row per step and kind that holds failures (steps with none are absent).
-- One aggregate over all the parts (no per-part GROUP BY) and int sums rather
-- than numeric ones: half the time of either (bench/failure-series.ts).
create function orchestrator_failure_series(lo timestamptz, hi timestamptz, step_secs integer, kinds text[])
returns table (step_start timestamptz, failure_kind text, failures_in_step bigint) language plpgsql stable as $$
declare
  upto constant timestamptz := hi + interval '1 microsecond';
  step constant interval := make_interval(secs => step_secs);
  origin constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  m1 timestamptz := upto; -- no whole minute usable: raw rows all the way
  m2 timestamptz := upto;
  h1 timestamptz;
  h2 timestamptz;
begin
  if step_secs % 60 = 0 then
    m1 := date_trunc('minute', lo, 'UTC');
    if m1 < lo then m1 := m1 + interval '1 minute'; end if;
    m2 := date_trunc('minute', upto, 'UTC');
    if m1 >= m2 then m1 := upto; m2 := upto; end if;
  end if;
  h1 := m2; h2 := m2; -- no whole hour usable: minutes all the way
  if step_secs % 3600 = 0 and m1 < m2 then
    h1 := date_trunc('hour', m1, 'UTC');
    if h1 < m1 then h1 := h1 + interval '1 hour'; end if;
    h2 := date_trunc('hour', m2, 'UTC');
    if h1 >= h2 then h1 := m2; h2 := m2; end if;
  end if;
  return query
  select s.at, s.k, sum(s.n)::bigint
  from (
    select date_bin(step, e.occurred_at, origin) as at, e.kind as k, 1 as n
    from orchestrator_events e
    where not e.success and e.occurred_at >= lo and e.occurred_at < m1 and (kinds is null or e.kind = any(kinds))
    union all
    select date_bin(step, e.occurred_at, origin), e.kind, 1
    from orchestrator_events e
    where not e.success and e.occurred_at >= m2 and e.occurred_at < upto and (kinds is null or e.kind = any(kinds))
    union all
    select date_bin(step, m.occurred_at, origin), 'EMAIL', 1
    from orchestrator_emails m
    where not m.success and m.occurred_at >= lo and m.occurred_at < m1 and (kinds is null or 'EMAIL' = any(kinds))
    union all
    select date_bin(step, m.occurred_at, origin), 'EMAIL', 1
    from orchestrator_emails m
    where not m.success and m.occurred_at >= m2 and m.occurred_at < upto and (kinds is null or 'EMAIL' = any(kinds))
    union all
    select date_bin(step, b.minute, origin), b.kind, b.failures::int
    from orchestrator_failure_minutes b
    where b.minute >= m1 and b.minute < h1 and (kinds is null or b.kind = any(kinds))
    union all
    select date_bin(step, b.minute, origin), b.kind, b.failures::int
    from orchestrator_failure_minutes b
    where b.minute >= h2 and b.minute < m2 and (kinds is null or b.kind = any(kinds))
    union all
    select date_bin(step, b.hour, origin), b.kind, b.failures::int
    from orchestrator_failure_hours b
    where b.hour >= h1 and b.hour < h2 and (kinds is null or b.kind = any(kinds))
  ) s
  group by 1, 2
  having sum(s.n) <> 0;
end $$;

-- The stale-execution reaper. It finds overdue executions by age among the
-- in-flight rows only, so its sweep is a short range scan however long the
-- history grows, and the index costs nothing once an execution has finished.
create index executions_in_flight_created_at_idx on executions (created_at)
  where status in ('PENDING', 'RUNNING');

-- Why the server, rather than the agents' results, finished an execution
-- (e.g. 'no result within 24h'); null when the agents' results did. For a
-- reaped execution, unreported_count is how many results were missing when it
-- was given up on; each of them is also counted in failed_count.
alter table executions
  add column finish_reason text,
  add column unreported_count integer not null default 0;

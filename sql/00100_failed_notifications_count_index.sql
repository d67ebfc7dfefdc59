-- The dashboard's failedNotificationCount counts FAILED rows on the channels
-- the API serves. For status = 'FAILED' the planner prefers the retry index
-- (its predicate is exactly that, and it is small), then visited the heap of
-- every FAILED row to read its channel: 40 ms at 20 000 failed notifications
-- (bench/run.ts, BENCH_SCALE=1), and the whole dashboard waited on it. With the
-- channel in the index, that count is an index-only scan (2 ms), and the
-- worker's retry claim reads the index as before.
drop index notifications_retry_due_idx;
create index notifications_retry_due_idx on notifications (next_retry_at) include (channel)
  where status = 'FAILED';

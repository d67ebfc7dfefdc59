-- Change capture for live subscriptions. Any writer (this server, another
-- instance, a service writing SQL) moves the badges, because the database
-- itself announces the change. One NOTIFY per table per statement, with the
-- table's topic as the whole payload: PostgreSQL folds identical NOTIFYs within
-- a transaction into one, so a transaction wakes listeners once per topic
-- however many rows it touched. The payload says "look again", never what changed.

create function opsgraph_notify_change() returns trigger
language plpgsql as $$
begin
  perform pg_notify('opsgraph_' || tg_argv[0], '');
  return null;
end $$;

-- Scans send no NOTIFY: every check-in commits to the counter cache, and a
-- NOTIFY per transaction takes a cluster-wide lock at commit (measured: the
-- insert + bump rate fell from 0.73x to 0.22x of a plain INSERT at 64 writers).
-- The live scanStats badge probes a digest of the cache every
-- LIVE_COALESCE_INTERVAL instead, only while someone subscribes (src/app.ts).

-- Failures: the bucket triggers of 00020_failure_buckets.sql notify 'failures'
-- themselves, and only for statements that touch failed rows.

create trigger notifications_changed
  after insert or update or delete or truncate on notifications
  for each statement execute function opsgraph_notify_change('notifications');

create trigger executions_changed
  after insert or update or delete or truncate on executions
  for each statement execute function opsgraph_notify_change('executions');

create trigger kill_signals_changed
  after insert on kill_signals
  for each statement execute function opsgraph_notify_change('kill_signals');

-- Kill-signal subscribers catch up by time after a wake-up or a reconnect.
create index kill_signals_requested_at_idx on kill_signals (requested_at);

-- The store behind every contract field. Ids that clients choose (jobs,
-- schedules) are text; ids the server assigns are bigint identities, exposed
-- as GraphQL ID strings.

-- Scans and their counter cache -------------------------------------------
create table scans (
  id          bigint generated always as identity primary key,
  scan_type   text not null check (scan_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  subject_id  text not null check (char_length(subject_id) between 1 and 200),
  scanned_by  text not null,
  created_at  timestamptz not null default now()
);
create index scans_scan_type_idx on scans (scan_type);

-- One row per (type, slot): writers may spread a hot type over several slots,
-- readers sum them.
create table scan_counters (
  scan_type   text not null,
  slot        smallint not null default 0,
  count       bigint not null default 0,
  updated_at  timestamptz not null default now(),
  primary key (scan_type, slot)
);

-- Orchestrator events (TRAFFIC, FILE) and e-mails ---------------------------
create table orchestrator_events (
  id           bigint generated always as identity primary key,
  kind         text not null check (kind in ('TRAFFIC', 'FILE')),
  success      boolean not null,
  detail       text check (char_length(detail) <= 10000),
  occurred_at  timestamptz not null default now()
);
-- Failure counts are index-only range scans over the failed rows alone.
create index orchestrator_events_failed_idx
  on orchestrator_events (occurred_at) include (kind) where not success;

create table orchestrator_emails (
  id           bigint generated always as identity primary key,
  success      boolean not null,
  detail       text check (char_length(detail) <= 10000),
  occurred_at  timestamptz not null default now()
);
create index orchestrator_emails_failed_idx
  on orchestrator_emails (occurred_at) where not success;

-- Notification outbox ---------------------------------------------------------
-- channel is deliberately not constrained: a row written with a channel this
-- server does not know must not break the table, the worker gives it a final state.
create table notifications (
  id             bigint generated always as identity primary key,
  channel        text not null,
  recipient      text not null,
  subject        text not null,
  body           text not null,
  status         text not null default 'PENDING'
                 check (status in ('PENDING', 'SENT', 'FAILED', 'DEAD', 'READ')),
  retry_count    integer not null default 0,
  next_retry_at  timestamptz,
  last_error     text,
  claimed_by     text,
  claimed_until  timestamptz,
  created_at     timestamptz not null default now(),
  sent_at        timestamptz,
  updated_at     timestamptz not null default now()
);
create index notifications_status_id_idx on notifications (status, id desc);
create index notifications_retry_due_idx on notifications (next_retry_at) where status = 'FAILED';
create index notifications_pending_idx on notifications (id) where status = 'PENDING';

-- Jobs, schedules, executions -------------------------------------------------
create table jobs (
  id           text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  version      text not null check (char_length(version) between 1 and 64),
  description  text,
  inventory    boolean not null default false,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);

create table schedules (
  id          text primary key,
  job_id      text not null references jobs (id) on delete restrict,
  cron        text not null,
  enabled     boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index schedules_job_id_idx on schedules (job_id);

-- Outlives the job on purpose: a deleted job stays REVOKED.
create table script_status (
  job_id      text primary key,
  status      text not null check (status in ('ACTIVE', 'REVOKED')),
  updated_at  timestamptz not null default now()
);

-- History outlives the job, so no foreign key to jobs.
create table executions (
  id            bigint generated always as identity primary key,
  job_id        text not null,
  version       text not null,
  initiated_by  text not null,
  target_count  integer not null check (target_count between 1 and 100000),
  result_count  integer not null default 0,
  failed_count  integer not null default 0,
  status        text not null default 'PENDING'
                check (status in ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
  created_at    timestamptz not null default now(),
  finished_at   timestamptz
);
-- Live counts aggregate only in-flight rows, never the completed history.
create index executions_in_flight_idx on executions (job_id, status)
  where status in ('PENDING', 'RUNNING');
create index executions_job_id_idx on executions (job_id, id desc);
create index executions_status_id_idx on executions (status, id desc);

create table execution_results (
  exec_id      bigint not null references executions (id) on delete cascade,
  agent_id     text not null,
  success      boolean not null,
  output       text,
  reported_at  timestamptz not null default now(),
  primary key (exec_id, agent_id)
);

create table kill_signals (
  id            bigint generated always as identity primary key,
  exec_id       bigint not null references executions (id) on delete cascade,
  job_id        text not null,
  requested_by  text not null,
  requested_at  timestamptz not null default now()
);
create index kill_signals_exec_id_idx on kill_signals (exec_id);

-- Audit log -------------------------------------------------------------------
create table audit_log (
  id       bigint generated always as identity primary key,
  actor    text not null,
  action   text not null,
  target   text,
  details  jsonb not null default '{}',
  at       timestamptz not null default now()
);
create index audit_log_action_id_idx on audit_log (action, id desc);

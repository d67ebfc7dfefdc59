-- Live badges computed once per cluster (issue 28, src/live/cluster.ts).
--
-- The leader holds a session advisory lock on DATABASE_DIRECT_URL; this row
-- says who holds it, in which term, and when it last proved it is alive. A
-- follower that finds the heartbeat older than LIVE_LEADER_TIMEOUT while the
-- lock is still held (a paused process, a connection gone silent) terminates
-- the holder's session, which releases the lock.
create sequence live_leader_terms;

create table live_leader (
  id boolean primary key default true check (id),
  term bigint not null,
  instance text not null,
  pid int not null,
  beat_at timestamptz not null
);

-- The PostgreSQL bus (src/live/pg-bus.ts): the latest value of each badge
-- group, with the version (term, seq) it was published at. A NOTIFY carries
-- the value itself when it fits in its 8000-byte payload, else only the key
-- and version, and followers read the value here. Newer versions only: a
-- deposed leader's late write does not overwrite its successor's. Unlogged:
-- a crash loses nothing a new leader does not publish again at once.
create unlogged table live_values (
  key text primary key,
  term bigint not null,
  seq bigint not null,
  value text not null,
  published_at timestamptz not null default now()
);

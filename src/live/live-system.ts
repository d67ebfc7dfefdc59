import type { Config } from '../config.js';
import type { Services } from '../context.js';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { errorMasking } from '../yoga/mask-errors.js';
import type { LiveBus } from './bus.js';
import { LiveCluster } from './cluster.js';
import { LiveFanout } from './fanout.js';
import { KillFeed } from './kill-feed.js';
import { LeaderElection } from './leader.js';
import { LiveQueries } from './live-queries.js';
import { PgBus } from './pg-bus.js';
import { PgEventTarget } from './pg-event-target.js';
import { PROBES } from './probes.js';

/**
 * The live system of one instance, from the database to the sockets:
 *
 *   PostgreSQL NOTIFY (sql/, per src/live/topics.ts) or a probe (src/live/probes.ts)
 *   → PgEventTarget: one LISTEN connection, a topic event per change or reconnect
 *   → LiveQueries: one recompute per badge and argument set, in passes (its `pass` states the order)
 *   → LiveFanout: one execution and serialisation per group of graphql-ws subscribers
 *   → SocketWrites: each socket written once per pass
 *
 * In a cluster (LIVE_LEADER, the default) only the leader runs the first three
 * steps for every group any instance wants, and publishes each new value on the
 * bus (src/live/cluster.ts; leader.ts elects it, pg-bus.ts and redis-bus.ts carry
 * the values); a follower applies them (LiveQueries.apply) and goes on from
 * LiveFanout as the leader does.
 *
 * SSE subscribers read LiveQueries' streams through yoga; kill signals have
 * their own feed (KillFeed) on the same LISTEN connection. src/ws.ts hands the
 * fan-out its graphql-ws subscriptions.
 */
export interface LiveSystem {
  /** The badges' shared recomputes (ctx.live). */
  live: LiveQueries;
  /** Kill signals for agents (ctx.kills). */
  kills: KillFeed;
  /** The graphql-ws badge subscriptions. */
  fanout: LiveFanout;
  /** The badges' queries go through these (the live pool: their statements are counted, and named in pg_stat_activity). */
  services: Services;
  /** null with LIVE_LEADER=off. */
  cluster: LiveCluster | null;
  close(): Promise<void>;
}

export function startLiveSystem(options: {
  /** A direct (or session-pooled) connection: LISTEN through a transaction pooler never hears a NOTIFY. */
  databaseUrl: string;
  sql: Sql;
  /** The live pool's services: the badges' recomputes and first reads. */
  services: Services;
  /** This instance's name (application_name's suffix). */
  instance: string;
  config: Config;
  log: Logger;
  masking: ReturnType<typeof errorMasking>;
}): LiveSystem {
  const { databaseUrl, sql, services, instance, config, log, masking } = options;
  const events = new PgEventTarget({
    url: databaseUrl,
    log,
    heartbeatMs: config.live.heartbeatMs,
    heartbeatTimeoutMs: config.live.heartbeatTimeoutMs,
    probes: PROBES,
    probeMs: config.live.coalesceMs,
  });
  const live = new LiveQueries(events, config.live.coalesceMs, log, config.ws.maxLiveGroups);
  live.services = services;
  const kills = new KillFeed(events, sql, log);
  const fanout = new LiveFanout(masking, config.introspection, live.writes, config.ws.maxLiveGroups);
  let cluster: LiveCluster | null = null;
  let started: Promise<void> = Promise.resolve();
  if (config.live.leader) {
    const bus: LiveBus = config.live.redisUrl ? redisBus(config.live.redisUrl, services, log) : new PgBus(databaseUrl, log);
    const election = new LeaderElection({
      url: databaseUrl,
      instance,
      log,
      timeoutMs: config.live.leaderTimeoutMs,
      onChange: (term) => cluster?.elected(term),
      eligible: () => !events.deaf,
    });
    const joined = new LiveCluster({ instance, live, bus, election, services, log, announceMs: config.live.announceMs });
    cluster = joined;
    live.joinCluster(joined);
    started = joined.start().catch((error) => {
      if (!joined.closed) log.error({ err: error }, 'the live badges could not join their cluster');
    });
  }
  return {
    live,
    kills,
    fanout,
    services,
    cluster,
    close: async () => {
      // Not waiting for the join: on a hung database it never ends, and closing ends it.
      void started;
      await cluster?.close();
      await events.close();
    },
  };
}

/** The Redis bus, its channels named after the database (clusters sharing a Redis stay apart). */
function redisBus(url: string, services: Services, log: Logger): LiveBus {
  let bus: Promise<LiveBus> | null = null;
  const get = () =>
    (bus ??= (async () => {
      const [row] = await services.sql<{ name: string }[]>`
        select format('opsgraph:%s:%s:%s', coalesce(inet_server_port(), 0), current_database(),
                      (select oid from pg_database where datname = current_database())) as name`;
      const { RedisBus } = await import('./redis-bus.js');
      return new RedisBus(url, row!.name, log);
    })());
  return {
    kind: 'redis',
    start: async (handlers) => (await get()).start(handlers),
    publish: async (publications) => (await get()).publish(publications),
    read: async (keys) => (await get()).read(keys),
    announce: async (message) => (await get()).announce(message),
    close: async () => {
      if (bus) await (await bus.catch(() => null))?.close();
    },
  };
}

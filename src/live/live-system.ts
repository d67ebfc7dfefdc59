import type { Config } from '../config.js';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { errorMasking } from '../yoga/mask-errors.js';
import { LiveFanout } from './fanout.js';
import { KillFeed } from './kill-feed.js';
import { LiveQueries } from './live-queries.js';
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
  close(): Promise<void>;
}

export function startLiveSystem(options: {
  /** A direct (or session-pooled) connection: LISTEN through a transaction pooler never hears a NOTIFY. */
  databaseUrl: string;
  sql: Sql;
  config: Config;
  log: Logger;
  masking: ReturnType<typeof errorMasking>;
}): LiveSystem {
  const { databaseUrl, sql, config, log, masking } = options;
  const events = new PgEventTarget({
    url: databaseUrl,
    log,
    heartbeatMs: config.live.heartbeatMs,
    heartbeatTimeoutMs: config.live.heartbeatTimeoutMs,
    probes: PROBES,
    probeMs: config.live.coalesceMs,
  });
  const live = new LiveQueries(events, config.live.coalesceMs, log, config.ws.maxLiveGroups);
  const kills = new KillFeed(events, sql, log);
  const fanout = new LiveFanout(masking, config.introspection, live.writes, config.ws.maxLiveGroups);
  return { live, kills, fanout, close: () => events.close() };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sql } from './db/client.js';

/** One registry per process; each domain registers its own metrics on it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const requestDuration = new Histogram({
  name: 'opsgraph_graphql_request_duration_seconds',
  help: 'GraphQL operations by operation name and type',
  labelNames: ['operation', 'type'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  registers: [registry],
});

export const errorsByCode = new Counter({
  name: 'opsgraph_graphql_errors_total',
  help: 'GraphQL errors by extensions.code',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const operationErrors = new Counter({
  name: 'opsgraph_graphql_operation_errors_total',
  help: 'Executed operations whose result carried errors, by operation name and type, and class: server (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE: the error ratio alert) or client (any other code)',
  labelNames: ['operation', 'type', 'class'] as const,
  registers: [registry],
});

export const compiledOperations = new Counter({
  name: 'opsgraph_graphql_compiled_operations_total',
  help: 'Query documents handed to graphql-jit (each once, on the run after GRAPHQL_JIT_AFTER)',
  registers: [registry],
});

export const listenReconnects = new Counter({
  name: 'opsgraph_listen_reconnects_total',
  help: 'Times the LISTEN connection was re-established (after an error or a missed heartbeat)',
  registers: [registry],
});

export const unhandledRejections = new Counter({
  name: 'opsgraph_unhandled_rejections_total',
  help: 'Promise rejections nothing handled (each one a defect, logged at error level); the server keeps running',
  registers: [registry],
});

export const listenFailures = new Counter({
  name: 'opsgraph_listen_failures_total',
  help: 'LISTEN statements that failed (the database was unreachable) and are retried with backoff',
  registers: [registry],
});

export const liveRecomputes = new Counter({
  name: 'opsgraph_live_recomputes_total',
  help: 'Recomputations of a live badge, by badge',
  labelNames: ['badge'] as const,
  registers: [registry],
});

export const liveLeader = new Gauge({
  name: 'opsgraph_live_leader',
  help: 'Whether this instance leads the live badges of its cluster (1) or follows (0): the leader alone runs their statements (src/live/leader.ts)',
  registers: [registry],
});

export const liveStatements = new Counter({
  name: 'opsgraph_live_statements_total',
  help: 'Statements this instance ran for live badge values, by kind: recompute (the badges\' own queries, on the live pool), bus (publishing and reading values, announcements), election (the leader lock and heartbeat)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const livePublications = new Counter({
  name: 'opsgraph_live_publications_total',
  help: 'Live badge values published to the cluster (sent, on the leader) or applied from it (received, on any instance; stale: older than one already seen)',
  labelNames: ['direction'] as const,
  registers: [registry],
});

export const jsonFastPathRequests = new Counter({
  name: 'opsgraph_json_fast_path_requests_total',
  help: 'GraphQL requests answered on the plain JSON POST path (src/yoga/json-post.ts) rather than through yoga',
  registers: [registry],
});

export const livePassDuration = new Histogram({
  name: 'opsgraph_live_pass_seconds',
  help: 'One live update pass: from the start of its recomputes until every changed badge is written to every socket',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** When each live pass still recomputing began (performance.now()), whichever LiveQueries runs it. */
export const livePassesRunning = new Set<{ startedAt: number }>();

new Gauge({
  name: 'opsgraph_live_pass_running_seconds',
  help: 'How long the oldest live pass still recomputing has been at it, 0 when none is: a pass that never ends freezes its badges and never reaches opsgraph_live_pass_seconds',
  registers: [registry],
  collect() {
    let oldest = Infinity;
    for (const pass of livePassesRunning) oldest = Math.min(oldest, pass.startedAt);
    this.set(oldest === Infinity ? 0 : (performance.now() - oldest) / 1000);
  },
});

export const liveSubscriptions = new Gauge({
  name: 'opsgraph_live_subscriptions',
  help: 'Open subscriptions, by badge',
  labelNames: ['badge'] as const,
  registers: [registry],
});

export const liveGroups = new Gauge({
  name: 'opsgraph_live_groups',
  help: 'graphql-ws live badge subscriptions grouped by what they see (badge, arguments, document, roles): one execution and one serialisation per change each',
  registers: [registry],
});

export const wsConnections = new Gauge({
  name: 'opsgraph_ws_connections',
  help: 'Open graphql-ws connections',
  registers: [registry],
});

export const wsRefusals = new Counter({
  name: 'opsgraph_ws_refusals_total',
  help: 'graphql-ws frames, connections and subscriptions (live_groups: SSE ones too) refused, by the limit or check that refused them (payload, subscriptions, live_groups, connections_per_caller, token)',
  labelNames: ['limit'] as const,
  registers: [registry],
});

export const wsLimits = new Gauge({
  name: 'opsgraph_ws_limit',
  help: 'The configured graphql-ws limits (WS_MAX_PAYLOAD bytes, WS_MAX_SUBSCRIPTIONS, WS_MAX_CONNECTIONS_PER_CALLER, LIVE_MAX_GROUPS)',
  labelNames: ['limit'] as const,
  registers: [registry],
});

/**
 * A database read made at scrape time, or null when it fails or takes longer than a second: a
 * database or pooler that hangs must not hang /metrics too, since the scrape is how it is noticed.
 */
export async function scrapeRead<T>(read: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1000)));
  try {
    return await Promise.race([read.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The wait event types PostgreSQL reports (pg_stat_activity.wait_event_type), each exported even at 0. */
const WAIT_EVENT_TYPES = ['Lock', 'LWLock', 'IO', 'IPC', 'BufferPin', 'Timeout', 'Extension', 'Client', 'Activity'];

/**
 * This instance's two pools (queries and transactions, src/db/client.ts) as
 * PostgreSQL sees them: connections by state, and the active ones waiting, by
 * what they wait for. Read at scrape time from pg_stat_activity, by the
 * application_name both pools' connections share, in one statement. Their
 * sizes are exported beside them, for use against capacity.
 */
export function registerPoolMetrics(sql: Sql, applicationName: string, sizes: { queries: number; transactions: number } = { queries: 0, transactions: 0 }): void {
  for (const name of ['opsgraph_db_connections', 'opsgraph_db_waiting_connections', 'opsgraph_db_pool_max']) registry.removeSingleMetric(name);
  const poolMax = new Gauge({
    name: 'opsgraph_db_pool_max',
    help: 'The most connections each of this instance\'s pools opens (DATABASE_POOL_MAX, DATABASE_TRANSACTION_POOL_MAX)',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  poolMax.set({ pool: 'queries' }, sizes.queries);
  poolMax.set({ pool: 'transactions' }, sizes.transactions);
  let read: Promise<{ state: string; wait: string | null; n: number }[] | null> | null = null;
  // Both gauges take their values from one statement per scrape: a scrape starts every collect at once.
  const activity = () =>
    (read ??= scrapeRead(
      sql<{ state: string; wait: string | null; n: number }[]>`
        select coalesce(state, 'unknown') as state,
               case when state = 'active' then wait_event_type end as wait, count(*)::int as n
        from pg_stat_activity where application_name = ${applicationName} group by 1, 2`,
    ).finally(() => (read = null)));
  new Gauge({
    name: 'opsgraph_db_connections',
    help: 'Connections of this instance\'s two pools (queries, transactions), by state (active, idle, idle in transaction)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await activity();
      const byState = new Map<string, number>();
      for (const row of rows ?? []) byState.set(row.state, (byState.get(row.state) ?? 0) + row.n);
      for (const [state, n] of byState) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'opsgraph_db_waiting_connections',
    help: 'Active connections of this instance\'s pools waiting in PostgreSQL, by wait_event_type (Lock, LWLock, IO, ...; pg_stat_activity)',
    labelNames: ['wait'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await activity();
      if (rows === null) return;
      for (const wait of WAIT_EVENT_TYPES) this.set({ wait }, 0);
      for (const row of rows) if (row.wait !== null) this.inc({ wait: row.wait }, row.n);
    },
  });
}

/**
 * 1 while this instance answers /readyz with 200 (the database answers on both pools, every migration
 * is applied, no drain), else 0: checked at scrape time, within scrapeRead's second.
 */
export function registerReadiness(check: () => Promise<boolean>): void {
  registry.removeSingleMetric('opsgraph_ready');
  new Gauge({
    name: 'opsgraph_ready',
    help: 'Whether this instance is ready (1), as /readyz answers, checked at scrape time; 0 when not ready or draining',
    registers: [registry],
    async collect() {
      this.set((await scrapeRead(check())) === true ? 1 : 0);
    },
  });
}

import postgres from 'postgres';
import { tracedSql } from '../tracing/sql.js';
import { tracing } from '../tracing/tracing.js';

/**
 * Seconds before a connection is tried again after failing to connect. The
 * pool shares one failure count, and postgres.js's default grows as 3^n/100 s
 * up to 20 s: after an outage of a few seconds, queries waited up to 20 s for a
 * database that was already back. Capped at 1 s.
 */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1);
}

export type Sql = postgres.Sql<{}>;

/** The pools behind a `sql` made by createSql (the query pool, then the transaction pool). */
const poolsBehind = new WeakMap<Sql, Sql[]>();

function pool(url: string, max: number, maxPipeline: number, name: string, prepare: boolean, onQuery?: (query: string) => void): Sql {
  return postgres(url, {
    debug: onQuery ? (_connection, query) => onQuery(query) : undefined,
    max,
    // Off behind a transaction pooler: the next transaction may run on a server connection where
    // the named statement was never prepared ("prepared statement … does not exist").
    prepare,
    // A postgres.js option its type definitions leave out.
    ...({ max_pipeline: maxPipeline } as {}),
    onnotice: () => {},
    // A connection attempt to an unreachable or paused database fails after 10 s
    // (postgres.js waits 30 s) and is retried after reconnectBackoff.
    connect_timeout: 10,
    // Connections idle for a minute are closed, so a quiet server holds none open.
    idle_timeout: 60,
    backoff: reconnectBackoff,
    connection: { application_name: name },
  });
}

/**
 * The `sql` that the queries of a process go through: two pools behind one
 * postgres.js instance (the LISTEN connection of src/live/pg-event-target.ts is
 * a client of its own). bigint columns arrive as strings (ids) unless cast.
 *
 * - Plain queries use `max` connections (DATABASE_POOL_MAX) with `maxPipeline`
 *   (DATABASE_MAX_PIPELINE): while no connection is idle, at most that many
 *   queries wait behind the running one on a busy connection; the rest wait in
 *   one shared queue for the first connection that frees up. postgres.js's
 *   default of 100 pipelined them round robin, so a quick query waited behind a
 *   slow one while other connections freed up: the tail of bench/README.md
 *   "Issue 20". Directly to PostgreSQL the default is 1. Behind a transaction
 *   pooler it is 0, nothing pipelined: without prepared statements postgres.js
 *   sends a query with parameters as Parse/Describe/Flush first and waits for
 *   the description, and when that lands behind a query without parameters,
 *   PgBouncer (1.18, Debian 12's) hands the server connection back at that
 *   query's ReadyForQuery with the describe still unanswered. The query then
 *   waits for ever, and so does every query queued on its connection
 *   (test/fleet/pooler-pipeline.test.ts; Supavisor does the same,
 *   porsager/postgres#970).
 * - `sql.begin` runs on a small pool of its own, `transactionMax` connections
 *   (DATABASE_TRANSACTION_POOL_MAX, default 5) at postgres.js's default
 *   pipeline: postgres.js reserves a transaction's connection only while that
 *   connection is below max_pipeline, so at 1 a BEGIN that lands behind another
 *   query fails with UNSAFE_TRANSACTION. Only BEGINs reach that pool, and a
 *   connection in a transaction is taken out of it, so none waits there behind
 *   another's query. A transaction holds its connection across round trips; a
 *   pool of their own also keeps a burst of mutations from taking every
 *   connection the reads need.
 *
 * `sql.end()` ends both. Connections to the database: at most max +
 * transactionMax, plus the LISTEN side's (docs/configuration.md).
 * `name` is the application_name both pools' connections show in pg_stat_activity.
 * `prepare` (DATABASE_PREPARED_STATEMENTS): named prepared statements, off behind a transaction
 * pooler. Neither pool relies on session state outside a transaction (a SET is always SET LOCAL,
 * advisory locks are transaction locks), so any server connection may serve any statement.
 */
export function createSql(
  url: string,
  max: number,
  onQuery?: (query: string) => void,
  name = 'opsgraph',
  maxPipeline = 1,
  transactionMax = 5,
  prepare = true,
): Sql {
  const sql = pool(url, max, maxPipeline, name, prepare, onQuery);
  const transactions = pool(url, transactionMax, 100, name, prepare, onQuery);
  const endQueries = sql.end;
  const both = Object.assign(sql, {
    begin: transactions.begin,
    end: async (options?: { timeout?: number }) => {
      await Promise.all([endQueries(options), transactions.end(options)]);
    },
  });
  // With tracing on (OTEL_*), a span per statement (src/tracing/sql.ts); off, the pool itself.
  const served = tracing() === null ? both : tracedSql(both);
  poolsBehind.set(served, [sql, transactions]);
  return served;
}

/**
 * A client of one session on DATABASE_DIRECT_URL, for what a pooler cannot carry: LISTEN and its
 * heartbeat (src/live/pg-event-target.ts), the leader's advisory lock (src/live/leader.ts), the
 * PostgreSQL bus (src/live/pg-bus.ts). A paused database accepts TCP connections and then says
 * nothing, so connecting gives up after 5 s. Its statements use no arrays: postgres.js would
 * otherwise fetch the array types on each connection in a promise it discards, and an
 * end({ timeout: 0 }) landing during that fetch leaked an unhandled CONNECTION_DESTROYED (see
 * fetchArrayTypesOnce below, porsager/postgres#1192).
 */
export function sessionClient(url: string, applicationName: string): postgres.Sql {
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
    fetch_types: false,
    backoff: reconnectBackoff,
    // Never closed for idling: the session is the point.
    idle_timeout: 0,
    connection: { application_name: applicationName },
  });
}

/** PostgreSQL's text[] type: present among the pool's parsers once postgres.js has fetched the array types. */
const TEXT_ARRAY_OID = 1009;

/**
 * Makes the pool fetch the database's array types once instead of on every connection it opens.
 * postgres.js (fetch_types, on by default) runs that fetch as each new connection's first query,
 * in a promise it discards (src/connection.js: ReadyForQuery calls fetchArrayTypes() and drops the
 * result). A connection closed, killed or destroyed by `sql.end({ timeout })` while the fetch runs
 * rejects that promise, and nothing can handle it: an unhandled `write CONNECTION_DESTROYED` /
 * `CONNECTION_CLOSED` or 57P01 (porsager/postgres#1192, #1223, open in 3.4.9). Every reconnect during
 * a database outage reopened that window (test/faults.test.ts caught it). The types are the same for
 * every connection to one database, and postgres.js keeps the parsers and serializers it registers on
 * the pool's shared options, so after the first fetch new connections skip it.
 */
export async function fetchArrayTypesOnce(sql: Sql): Promise<void> {
  for (const one of poolsBehind.get(sql) ?? [sql]) {
    await one`select 1`;
    if (TEXT_ARRAY_OID in one.options.parsers) (one.options as { fetch_types: boolean }).fetch_types = false;
  }
}

import postgres from 'postgres';

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

/**
 * The pool that the queries of a process go through (the LISTEN connection of
 * src/live/pg-event-target.ts is a client of its own). bigint columns arrive as
 * strings (ids) unless cast.
 * `name` is the application_name the pool's connections show in pg_stat_activity.
 * `maxPipeline` (DATABASE_MAX_PIPELINE, default 100 as in postgres.js): how many queries may wait
 * behind the running one on a busy connection, round robin, while none is idle. Lower values shorten
 * the tail under load (bench/README.md "Issue 20": at 1 the rest wait in one shared queue for the
 * first connection that frees up), but postgres.js then fails a `sql.begin` whose BEGIN lands behind
 * another query with UNSAFE_TRANSACTION (it reserves the connection only below the limit), so the
 * default stays until transactions get a pool of their own.
 */
export function createSql(url: string, max: number, onQuery?: (query: string) => void, name = 'opsgraph', maxPipeline = 100): Sql {
  return postgres(url, {
    debug: onQuery ? (_connection, query) => onQuery(query) : undefined,
    max,
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
  await sql`select 1`;
  if (TEXT_ARRAY_OID in sql.options.parsers) (sql.options as { fetch_types: boolean }).fetch_types = false;
}

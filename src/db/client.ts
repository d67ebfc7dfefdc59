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

/** The one postgres.js client of a process. bigint columns arrive as strings (ids) unless cast. */
/** `name` is the application_name the pool's connections show in pg_stat_activity. */
export function createSql(url: string, max: number, onQuery?: (query: string) => void, name = 'opsgraph'): Sql {
  return postgres(url, {
    debug: onQuery ? (_connection, query) => onQuery(query) : undefined,
    max,
    onnotice: () => {},
    connect_timeout: 10,
    // Fail fast while the database is unreachable rather than queueing forever.
    idle_timeout: 60,
    backoff: reconnectBackoff,
    connection: { application_name: name },
  });
}

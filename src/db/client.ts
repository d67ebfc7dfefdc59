import postgres from 'postgres';

export type Sql = postgres.Sql<{}>;

/**
 * The one postgres.js client of a process. bigint columns arrive as strings (ids) unless cast.
 * `name` is the application_name the pool's connections show in pg_stat_activity.
 * `maxPipeline`: how many queries postgres.js may queue on one busy connection, behind the one it
 * runs, while no connection is idle (postgres.js's default is 100; round robin over the busy ones).
 * At 1, our default, at most one query waits behind another request's query on a connection whose
 * backend may be stalled; the rest wait in one shared queue for the first connection that frees up:
 * a shorter tail (DATABASE_MAX_PIPELINE, bench/README.md "Issue 20"). 0 would make that queue the
 * only one, but postgres.js's sql.begin cannot reserve a connection then (UNSAFE_TRANSACTION).
 */
export function createSql(url: string, max: number, onQuery?: (query: string) => void, name = 'opsgraph', maxPipeline = 1): Sql {
  return postgres(url, {
    debug: onQuery ? (_connection, query) => onQuery(query) : undefined,
    max,
    // A postgres.js option its type definitions leave out.
    ...({ max_pipeline: maxPipeline } as {}),
    onnotice: () => {},
    connect_timeout: 10,
    // Fail fast while the database is unreachable rather than queueing forever.
    idle_timeout: 60,
    connection: { application_name: name },
  });
}

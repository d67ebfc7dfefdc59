import postgres from 'postgres';

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
    connection: { application_name: name },
  });
}

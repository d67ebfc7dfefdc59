import postgres from 'postgres';

export type Sql = postgres.Sql<{}>;

/** The one postgres.js client of a process. bigint columns arrive as strings (ids) unless cast. */
export function createSql(url: string, max: number, onQuery?: (query: string) => void): Sql {
  return postgres(url, {
    debug: onQuery ? (_connection, query) => onQuery(query) : undefined,
    max,
    onnotice: () => {},
    connect_timeout: 10,
    // Fail fast while the database is unreachable rather than queueing forever.
    idle_timeout: 60,
    connection: { application_name: 'opsgraph' },
  });
}

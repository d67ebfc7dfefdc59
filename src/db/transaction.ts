import type { Sql } from './client.js';

/**
 * Runs `work` in one transaction, on the pool's transaction pool (createSql in
 * src/db/client.ts routes every `sql.begin` there). postgres.js types a transaction apart from
 * the pool although it runs the same queries, so the db functions, which take
 * a `Sql`, get the transaction under that type.
 */
export function transaction<T>(sql: Sql, work: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin((tx) => work(tx as unknown as Sql)) as Promise<T>;
}

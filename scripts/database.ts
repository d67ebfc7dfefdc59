import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createSql, type Sql } from '../src/db/client.js';
import { embeddedLocation } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';

export interface Database {
  sql: Sql;
  close(): Promise<void>;
  /**
   * For the embedded PostgreSQL of a running `npm start` only: a restart of the server starts it
   * on another port. The database there once it runs again (not migrated again: the server did),
   * or null while it is where it was or none runs (this never starts one).
   */
  moved?(): Promise<Database | null>;
}

/**
 * The embedded PostgreSQL that a running `npm start` holds, if any. Its
 * postmaster.pid names the port; starting a second one on the same data
 * directory would stop the server's instead.
 */
export async function runningEmbeddedUrl(dataDir: string, rootDir: string): Promise<string | null> {
  const { pgDir, passwordFile } = await embeddedLocation(dataDir, rootDir);
  const pidFile = await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const [pid, , , port] = pidFile?.split('\n') ?? [];
  if (!pid || !port) return null;
  try {
    process.kill(Number(pid), 0);
  } catch {
    return null; // a stale file: nobody is running it
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port.trim()}/postgres`;
}

/**
 * The database `npm start` uses, found the way it finds it: DATABASE_URL, else
 * the embedded PostgreSQL in DATA_DIR (the running one, or started here and
 * stopped again by close()).
 */
export async function openDatabase(env: Record<string, string | undefined> = process.env): Promise<Database> {
  const config = loadConfig(env);
  const running = config.databaseUrl === null;
  const url = config.databaseUrl ?? (await runningEmbeddedUrl(config.dataDir, config.embeddedRootDir));
  if (url !== null) {
    const connect = (at: string): Database => {
      const sql = createSql(at, 4, undefined, 'opsgraph-script', 1, 5, config.databasePreparedStatements);
      const moved = async () => {
        const now = await runningEmbeddedUrl(config.dataDir, config.embeddedRootDir).catch(() => null);
        return now === null || now === at ? null : connect(now);
      };
      return { sql, close: () => sql.end({ timeout: 5 }), ...(running ? { moved } : {}) };
    };
    const db = connect(url);
    await migrate(db.sql);
    return db;
  }
  const app = await buildApp({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });
  return { sql: app.sql, close: async () => void (await app.stop()) };
}

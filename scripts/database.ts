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
}

/**
 * The embedded PostgreSQL that a running `npm start` holds, if any. Its
 * postmaster.pid names the port; starting a second one on the same data
 * directory would stop the server's instead.
 */
async function runningEmbeddedUrl(dataDir: string, rootDir: string): Promise<string | null> {
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
  const url = config.databaseUrl ?? (await runningEmbeddedUrl(config.dataDir, config.embeddedRootDir));
  if (url !== null) {
    const sql = createSql(url, 4, undefined, 'opsgraph-script', 1, 5, config.databasePreparedStatements);
    await migrate(sql);
    return { sql, close: () => sql.end({ timeout: 5 }) };
  }
  const app = await buildApp({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });
  return { sql: app.sql, close: async () => void (await app.stop()) };
}

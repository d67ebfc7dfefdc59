// A test file's own database behind a PgBouncer of its own (deploy/pgbouncer.ini, Debian's binary),
// and opsgraph servers on it the way docs/scaling.md tells a fleet to run: the pools through the
// pooler, LISTEN and session locks on DATABASE_DIRECT_URL.
import { afterAll, beforeAll } from 'vitest';
import { startPgbouncer, type Pgbouncer } from '../../scripts/fleet/pgbouncer.js';
import { createTestDatabase, startTestServer, type TestServer } from '../helpers.js';

export interface Pooled {
  pooler: Pgbouncer;
  /** The test database, directly. */
  directUrl: string;
  /** The same database through PgBouncer. */
  pooledUrl: string;
  /** A server whose pools go through the pooler (prepared statements off by DATABASE_PREPARED_STATEMENTS=auto). */
  start(env?: Record<string, string>): Promise<TestServer>;
}

export function usePooler(mode: 'transaction' | 'session' = 'transaction'): Pooled {
  const handle = {} as Pooled;
  let drop: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const pooler = await startPgbouncer(db.url, { mode });
    Object.assign(handle, {
      pooler,
      directUrl: db.url,
      pooledUrl: pooler.url(db.url),
      start: (env: Record<string, string> = {}) => startTestServer(pooler.url(db.url), { DATABASE_DIRECT_URL: db.url, ...env }),
    });
  });
  afterAll(async () => {
    await handle.pooler?.stop();
    await drop?.();
  });
  return handle;
}

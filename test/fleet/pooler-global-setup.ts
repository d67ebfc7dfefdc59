// The "pooler" project (vitest.config.ts): one PgBouncer in transaction mode (deploy/pgbouncer.ini,
// whose `*` database sends every per-file test database to the run's PostgreSQL) in front of the
// server test/global-setup.ts started. Its port, provided as poolerPort, makes startTestServer run
// each server with DATABASE_URL through it and DATABASE_DIRECT_URL on PostgreSQL itself
// (test/helpers.ts testServerEnv), the way a fleet runs.
import type { TestProject } from 'vitest/node';
import { startPgbouncer } from '../../scripts/fleet/pgbouncer.js';
import { acquireSharedDatabase } from '../global-setup.js';

export default async function setup(project: TestProject) {
  const database = await acquireSharedDatabase();
  const pooler = await startPgbouncer(database.adminUrl, { mode: 'transaction' }).catch(async (error: unknown) => {
    await database.release();
    throw error;
  });
  project.provide('poolerPort', pooler.port);
  return async () => {
    try {
      await pooler.stop();
    } finally {
      await database.release();
    }
  };
}

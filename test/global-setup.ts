// One PostgreSQL per test run (embedded, or TEST_DATABASE_URL), and one
// migrated template database that every test file clones. Every vitest project
// (vitest.config.ts) lists this file; the first to run it starts the server, the
// others share it, and the last teardown stops it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { databaseUrl } from './db-url.js';
import { ensureGraphiql } from '../src/graphiql/bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    /**
     * The "pooler" project only (test/fleet/pooler-global-setup.ts): the port of one PgBouncer in
     * transaction mode in front of adminUrl's server. startTestServer then runs every server behind it.
     */
    poolerPort: number;
  }
}

interface SharedDatabase {
  adminUrl: string;
  templateDb: string;
  teardown(): Promise<void>;
}

// Each project loads this file in a module runner of its own: the state lives on globalThis, which they share.
const state = globalThis as typeof globalThis & { __opsgraphTestDatabase?: { ready: Promise<SharedDatabase>; users: number } };

async function startSharedDatabase(): Promise<SharedDatabase> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let removeEmbedded: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  if (!adminUrl) {
    // mkdtemp makes it 0700: as root, the cluster goes where the postgres user can reach it, as for `npm start`.
    dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-test-'));
    const embedded = await startEmbeddedPostgres(dir, createLogger('silent'));
    adminUrl = embedded.url;
    removeEmbedded = embedded.remove;
  }
  const templateDb = `opsgraph_tpl_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${templateDb}`);
  const template = postgres(databaseUrl(adminUrl, templateDb), { max: 1, onnotice: () => {} });
  await migrate(template);
  await template.end();
  return {
    adminUrl,
    templateDb,
    async teardown() {
      await admin.unsafe(`drop database if exists ${templateDb} with (force)`);
      await admin.end();
      if (removeEmbedded) await removeEmbedded();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The run's PostgreSQL and template, started by the first caller; `release` once per call. */
export async function acquireSharedDatabase(): Promise<SharedDatabase & { release(): Promise<void> }> {
  const shared = (state.__opsgraphTestDatabase ??= { ready: startSharedDatabase(), users: 0 });
  shared.users++;
  const database = await shared.ready;
  let released = false;
  return {
    ...database,
    async release() {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      state.__opsgraphTestDatabase = undefined;
      await database.teardown();
    },
  };
}

export default async function setup(project: TestProject) {
  // Once for the run, not in every test server's start-up at the same time (npm install built it already
  // unless scripts were skipped).
  await ensureGraphiql(() => {});
  const database = await acquireSharedDatabase();
  project.provide('adminUrl', database.adminUrl);
  project.provide('templateDb', database.templateDb);
  return () => database.release();
}

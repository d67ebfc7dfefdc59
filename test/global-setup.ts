// One PostgreSQL per test run (embedded, or TEST_DATABASE_URL), and one
// migrated template database that every test file clones.
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

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
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

  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);

  return async () => {
    await admin.unsafe(`drop database if exists ${templateDb} with (force)`);
    await admin.end();
    if (removeEmbedded) await removeEmbedded();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

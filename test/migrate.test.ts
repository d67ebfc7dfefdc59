import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { migrate, MigrationChangedError, readMigrations } from '../src/db/migrate.js';
import { databaseUrl } from './db-url.js';
import { TEST_SECRET } from './helpers.js';

async function emptyDatabase() {
  const name = `opsgraph_empty_${Math.random().toString(16).slice(2, 10)}`;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  return {
    url: databaseUrl(inject('adminUrl'), name),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

describe('migrations', () => {
  it('two instances starting at once on an empty database both become ready, applying each file once', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' };
    const apps = await Promise.all([buildApp(env), buildApp(env)]);
    try {
      const ports = await Promise.all(apps.map((app) => app.start()));
      for (const { port } of ports) {
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      }
      const files = await readMigrations();
      const rows = await apps[0]!.sql<{ name: string }[]>`select name from schema_migrations order by name`;
      expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
      await db.drop();
    }
  });

  it('refuses to start when an applied file has changed since', async () => {
    const db = await emptyDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-migrations-'));
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await writeFile(path.join(dir, '00001_first.sql'), 'create table a (id int);');
      expect(await migrate(sql, dir)).toEqual(['00001_first.sql']);
      expect(await migrate(sql, dir)).toEqual([]);
      await writeFile(path.join(dir, '00001_first.sql'), 'create table a (id bigint);');
      await expect(migrate(sql, dir)).rejects.toBeInstanceOf(MigrationChangedError);
    } finally {
      await sql.end();
      await db.drop();
    }
  });

  it('rolls back a failing file whole and records nothing for it', async () => {
    const db = await emptyDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-migrations-'));
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await writeFile(path.join(dir, '00001_ok.sql'), 'create table ok (id int);');
      await writeFile(path.join(dir, '00002_bad.sql'), 'create table half (id int); select no_such_function();');
      await expect(migrate(sql, dir)).rejects.toThrow(/no_such_function/);
      const [half] = await sql`select to_regclass('half') as t`;
      expect(half!.t).toBeNull();
      expect((await sql`select name from schema_migrations`).map((r) => r.name)).toEqual(['00001_ok.sql']);
    } finally {
      await sql.end();
      await db.drop();
    }
  });
});

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.js';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
const FILE_NAME = /^(\d{5})_[a-z0-9_]+\.sql$/;
// Any constant shared by every instance; two instances starting at once queue here.
const MIGRATION_LOCK = 727_001;

export interface MigrationFile {
  name: string;
  checksum: string;
  text: string;
}

export async function readMigrations(dir = SQL_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(path.join(dir, name), 'utf8');
      return { name, text, checksum: createHash('sha256').update(text).digest('hex') };
    }),
  );
}

export class MigrationChangedError extends Error {}

/**
 * Applies pending files in order, each in its own transaction that first takes
 * an advisory lock and re-reads what is applied, so instances starting at once
 * apply every file exactly once. Returns the names this call applied.
 */
export async function migrate(sql: Sql, dir = SQL_DIR): Promise<string[]> {
  const files = await readMigrations(dir);
  await sql.begin(async (tx) => {
    // Under the lock too: two instances racing on "if not exists" still collide in the catalog.
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      create table if not exists schema_migrations (
        name        text primary key,
        checksum    text not null,
        applied_at  timestamptz not null default now()
      )`;
  });
  const applied: string[] = [];
  for (const file of files) {
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      const [row] = await tx<{ checksum: string }[]>`select checksum from schema_migrations where name = ${file.name}`;
      if (row) {
        if (row.checksum !== file.checksum) {
          throw new MigrationChangedError(`Migration ${file.name} has changed since it was applied; add a new migration instead`);
        }
        return;
      }
      await tx.unsafe(file.text);
      await tx`insert into schema_migrations (name, checksum) values (${file.name}, ${file.checksum})`;
      applied.push(file.name);
    });
  }
  return applied;
}

/** True when every migration file on disk is recorded as applied. */
export async function migrationsApplied(sql: Sql, dir = SQL_DIR): Promise<boolean> {
  const files = await readMigrations(dir);
  const rows = await sql<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations`;
  const done = new Map(rows.map((row) => [row.name, row.checksum]));
  return files.every((file) => done.get(file.name) === file.checksum);
}

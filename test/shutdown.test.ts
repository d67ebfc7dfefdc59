import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedLocation, freePort } from '../src/db/embedded.js';
import { createTestDatabase, TEST_SECRET, token } from './helpers.js';
import { wsClient } from './ws-client.js';

async function waitReady(url: string, ms = 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

describe('graceful shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} closes WS clients with 1001 and exits 0`, async () => {
      const db = await createTestDatabase();
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitReady(`http://127.0.0.1:${port}/readyz`);
        let closeCode = 0;
        const client = wsClient(`ws://127.0.0.1:${port}/graphql`, await token('VIEWER'), {
          lazy: false,
          on: { closed: (event) => (closeCode = (event as { code: number }).code) },
        });
        await new Promise<void>((resolve) => client.on('connected', () => resolve()));
        const started = Date.now();
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(closeCode).toBe(1012);
        await client.dispose();
      } finally {
        child.kill('SIGKILL');
        await db.drop();
      }
    });
  }
});

/** Whether process `pid` still runs (a zombie does not: an orphan's reaper may collect it late). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  })();
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

// `npm start` for real, on its own embedded PostgreSQL, stopped the two ways it is in practice: a process
// manager (systemd, a container runtime) signals npm's pid with SIGTERM; a user presses Ctrl-C, which
// signals the whole process group with SIGINT (and npm forwards a second SIGINT to its script).
describe('npm start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-npm-start-'));
    await chmod(dir, 0o755); // as root, the postgres user runs the cluster under EMBEDDED_ROOT_DIR here
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const ways = [
    ['SIGTERM to npm', (npm: number) => process.kill(npm, 'SIGTERM')],
    ['Ctrl-C (SIGINT to the process group)', (npm: number) => process.kill(-npm, 'SIGINT')],
  ] as const;
  for (const [how, stop] of ways) {
    it(`${how}: node and the embedded PostgreSQL stop in order, npm exits 0`, async () => {
      const port = await freePort();
      const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? dir, DATA_DIR: path.join(dir, 'data'), EMBEDDED_ROOT_DIR: path.join(dir, 'root'), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
      const npm = spawn('npm', ['start'], { cwd: path.resolve(import.meta.dirname, '..'), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      npm.stdout!.on('data', (chunk) => (output += chunk));
      npm.stderr!.on('data', (chunk) => (output += chunk));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
      const { pgDir } = await embeddedLocation(env.DATA_DIR, env.EMBEDDED_ROOT_DIR);
      const postmasterPid = async () => Number((await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
      let postmaster = 0;
      try {
        // The first start initialises the cluster (initdb), on a loaded machine.
        await waitReady(`http://127.0.0.1:${port}/readyz`, 120_000).catch((error: Error) => {
          throw new Error(`${error.message}:\n${output}`);
        });
        // npm's script process, in the session npm leads (spawned detached).
        const session = execFileSync('ps', ['-o', 'pid=,comm=', '-s', String(npm.pid)], { encoding: 'utf8' });
        const nodePid = Number(/^\s*(\d+) node$/m.exec(session)?.[1]);
        postmaster = await postmasterPid();
        expect(alive(nodePid) && alive(postmaster), `node ${nodePid}, postgres ${postmaster}`).toBe(true);

        stop(npm.pid!);
        expect(await exited).toEqual({ code: 0, signal: null });
        for (const end = Date.now() + 10_000; (alive(nodePid) || alive(postmaster)) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
        expect({ node: alive(nodePid), postgres: alive(postmaster) }).toEqual({ node: false, postgres: false });
        const afterSignal = output.split('shutting down')[1];
        expect(afterSignal, output).toBeDefined();
        expect(afterSignal, 'npm and the server report nothing failed').not.toMatch(/failed|Error:|ERR!/);
      } finally {
        for (const pid of [-npm.pid!, postmaster || (await postmasterPid())]) {
          try {
            if (pid) process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }, 180_000);
  }
});

/** The pids of the postmasters running PostgreSQL on `pgDir` (argv `postgres -D <pgDir> ...`), from /proc. */
async function postmastersOn(pgDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(argv[0] ?? '') === 'postgres' && argv[argv.indexOf('-D') + 1] === pgDir && argv.includes('-D')) pids.push(Number(entry));
  }
  return pids;
}

// Bad days for `npm start` on one data directory: node killed outright (SIGKILL: the OOM killer, kill -9)
// leaves its PostgreSQL running; a second `npm start` on the same DATA_DIR; a postmaster.pid whose pid
// now belongs to an unrelated process (after a crash or reboot).
describe.runIf(process.platform === 'linux')('npm start after a bad day', () => {
  let dir: string;
  let env: Record<string, string>;
  let pgDir: string;
  const started: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-npm-restart-'));
    await chmod(dir, 0o755);
    env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? dir, DATA_DIR: path.join(dir, 'data'), EMBEDDED_ROOT_DIR: path.join(dir, 'root'), HOST: '127.0.0.1', LOG_LEVEL: 'info', JWT_SECRET: TEST_SECRET };
    pgDir = (await embeddedLocation(env.DATA_DIR!, env.EMBEDDED_ROOT_DIR)).pgDir;
  });
  afterAll(async () => {
    for (const npm of started) {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const pid of await postmastersOn(pgDir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  async function npmStart() {
    const port = await freePort();
    const npm = spawn('npm', ['start'], { cwd: path.resolve(import.meta.dirname, '..'), env: { ...env, PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(npm);
    let output = '';
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
    const base = `http://127.0.0.1:${port}`;
    const ready = async () => {
      await waitReady(`${base}/readyz`, 120_000).catch((error: Error) => {
        throw new Error(`${error.message}:\n${output}`);
      });
      const session = execFileSync('ps', ['-o', 'pid=,comm=', '-s', String(npm.pid)], { encoding: 'utf8' });
      return Number(/^\s*(\d+) node$/m.exec(session)?.[1]);
    };
    /** A query that reads the database, answered by this server. */
    const serves = async () => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('ADMIN')}` },
        body: JSON.stringify({ query: '{ auditLog { totalCount } }' }),
      });
      return ((await res.json()) as { data?: { auditLog?: { totalCount: number } } }).data?.auditLog?.totalCount;
    };
    return { npm, exited, ready, serves, output: () => output };
  }

  const postmasterPid = async () => Number((await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);

  it('kill -9 of node leaves PostgreSQL running; the next npm start stops it, comes up and serves; a clean stop leaves none', async () => {
    const first = await npmStart();
    const node = await first.ready();
    const orphan = await postmasterPid();
    expect(await postmastersOn(pgDir)).toEqual([orphan]);
    process.kill(node, 'SIGKILL');
    await first.exited;
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(orphan), 'the postmaster outlives a node killed outright').toBe(true);

    const second = await npmStart();
    await second.ready();
    expect(await second.serves()).toBeTypeOf('number');
    expect(alive(orphan)).toBe(false);
    const running = await postmastersOn(pgDir);
    expect(running).toEqual([await postmasterPid()]);
    expect(second.output()).toContain('stopping the embedded PostgreSQL that a killed opsgraph left running');

    process.kill(second.npm.pid!, 'SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(await postmastersOn(pgDir)).toEqual([]);
  }, 300_000);

  it('a second npm start on the same DATA_DIR fails with one line and leaves the first serving', async () => {
    const first = await npmStart();
    await first.ready();
    const postmaster = await postmasterPid();
    const second = await npmStart();
    const timeout = new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref());
    expect(await Promise.race([second.exited, timeout])).toEqual({ code: 1, signal: null });
    expect(second.output()).toMatch(/opsgraph: the embedded PostgreSQL in .* belongs to another opsgraph still running on the same DATA_DIR/);
    expect(await first.serves()).toBeTypeOf('number');
    expect(await postmastersOn(pgDir)).toEqual([postmaster]);
    process.kill(first.npm.pid!, 'SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(await postmastersOn(pgDir)).toEqual([]);
  }, 300_000);

  it('a postmaster.pid naming an unrelated live process: that process is left alone, and npm start comes up', async () => {
    // PostgreSQL itself refuses to start over a pid file whose pid is alive and its own user's: as root, that is postgres.
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : undefined;
    const unrelated = spawn('sleep', ['300'], { stdio: 'ignore', ...(uid !== undefined ? { uid, gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {}) });
    try {
      const lines = [String(unrelated.pid), pgDir, String(Math.floor(Date.now() / 1000)), '5432', '/tmp', '127.0.0.1', '  5432001   0', 'ready', ''];
      await writeFile(path.join(pgDir, 'postmaster.pid'), lines.join('\n'));
      const server = await npmStart();
      await server.ready();
      expect(await server.serves()).toBeTypeOf('number');
      expect(alive(unrelated.pid!), 'the unrelated process is not signalled').toBe(true);
      expect(await postmastersOn(pgDir)).toEqual([await postmasterPid()]);
      process.kill(server.npm.pid!, 'SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      unrelated.kill('SIGKILL');
    }
  }, 300_000);
});

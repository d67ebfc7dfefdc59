import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
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
        expect(closeCode).toBe(1001);
        await client.dispose();
      } finally {
        child.kill('SIGKILL');
        await db.drop();
      }
    });
  }
});

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import net from 'node:net';
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

/** `node src/main.ts` on `databaseUrl`, as a process manager runs it; its log (JSON lines) collected. */
async function startMain(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: TEST_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: performance.now() })));
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}:\n${output}`);
  });
  return { child, base, exited, output: () => output, kill: () => child.kill('SIGKILL') };
}

/** One request on `agent` (keep-alive unless told otherwise): its status, Connection header, body and when it was answered. */
function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent | false } = {}) {
  return new Promise<{ status: number; connection: string | undefined; body: string; at: number }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body, at: performance.now() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A GraphQL query that reads the database, on a keep-alive agent. */
async function query(base: string, agent: Agent) {
  const body = JSON.stringify({ query: '{ failureCount(since: "1h") { count } }' });
  return httpRequest(`${base}/graphql`, {
    method: 'POST',
    agent,
    body,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `Bearer ${await token('VIEWER')}` },
  });
}

/** A connected graphql-ws client; `closed` resolves with its close code and when it came. */
async function connectedWs(base: string) {
  let resolveClosed!: (value: { code: number; at: number }) => void;
  const closed = new Promise<{ code: number; at: number }>((resolve) => (resolveClosed = resolve));
  const client = wsClient(`${base.replace('http', 'ws')}/graphql`, await token('VIEWER'), {
    lazy: false,
    on: { closed: (event) => resolveClosed({ code: (event as { code: number }).code, at: performance.now() }) },
  });
  await new Promise<void>((resolve) => client.on('connected', () => resolve()));
  return { client, closed };
}

/**
 * Polls /readyz until it answers 503 and returns when the first check so answered was sent: a new
 * connection each time, as a balancer's check, and a new request every 2 ms without waiting for the
 * previous answer, so a slow readiness check in flight (it reads the database) does not delay seeing
 * the first 503. The send time, not the answer's arrival: on a loaded two-core machine the answer
 * waits for the CPU, which says nothing about when the instance stopped reporting ready.
 */
function first503(base: string, ms = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const poll = () => {
      const sentAt = performance.now();
      return httpRequest(`${base}/readyz`).then(
        (res) => res.status === 503 && done(sentAt),
        () => {},
      );
    };
    const timer = setInterval(poll, 2);
    const deadline = setTimeout(() => (clearInterval(timer), reject(new Error('/readyz never answered 503'))), ms);
    const done = (at: number) => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(at);
    };
    void poll();
  });
}

/** A TCP proxy to `url`'s server that can freeze: bytes stop flowing both ways, nothing is closed (a paused database, as its clients see it). */
async function freezableProxy(url: string) {
  const target = new URL(url);
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    freeze: () => (frozen = true),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('graceful shutdown', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('SIGTERM drains: /readyz 503 at once, requests answered with Connection: close, WebSockets closed with 1012 after SHUTDOWN_DRAIN, exit 0', async () => {
    const DRAIN = 2000;
    const server = await startMain(db.url, { SHUTDOWN_DRAIN: '2s' });
    const agent = new Agent({ keepAlive: true });
    try {
      const ws = await connectedWs(server.base);
      const before = await query(server.base, agent);
      expect(before).toMatchObject({ status: 200, connection: 'keep-alive' });
      const signalled = performance.now();
      server.child.kill('SIGTERM');
      const readyAt = await first503(server.base);
      // Through the drain: answered, each closing its connection so none is left idle for a balancer to reuse.
      const during: Awaited<ReturnType<typeof query>>[] = [];
      for (const at of [300, 1000, 1600]) {
        await new Promise((r) => setTimeout(r, signalled + at - performance.now()));
        during.push(await query(server.base, agent));
      }
      const [{ code: closeCode, at: closedAt }, { code, at: exitedAt }] = await Promise.all([ws.closed, server.exited]);
      const figures = { readyz503: Math.max(0, Math.round(readyAt - signalled)), wsClosed: Math.round(closedAt - signalled), exited: Math.round(exitedAt - signalled) };
      console.log(`SIGTERM with SHUTDOWN_DRAIN=2s: /readyz 503 for a check sent ${figures.readyz503} ms after it, WebSocket 1012 after ${figures.wsClosed} ms, exit after ${figures.exited} ms`);
      // "At once": within a quarter of the drain, so the balancer's checks see it long before the drain ends.
      // (On a quiet machine it is under 10 ms; a loaded one delays the signal's handling, not the order.)
      expect(figures.readyz503, 'ms from SIGTERM to /readyz 503').toBeLessThan(DRAIN / 4);
      for (const res of during) {
        expect(res).toMatchObject({ status: 200, connection: 'close' });
        expect(JSON.parse(res.body)).toEqual({ data: { failureCount: { count: 0 } } });
      }
      expect(closeCode).toBe(1012);
      expect(figures.wsClosed, 'the WebSocket stays open through the drain').toBeGreaterThanOrEqual(DRAIN - 50);
      expect(code).toBe(0);
      expect(figures.exited).toBeLessThan(DRAIN + 5000);
      expect(server.output()).toContain('draining: /readyz answers 503');
      await ws.client.dispose();
    } finally {
      agent.destroy();
      server.kill();
    }
  });

  it('a second SIGTERM during the drain skips the rest of it', async () => {
    const server = await startMain(db.url, { SHUTDOWN_DRAIN: '20s' });
    try {
      const ws = await connectedWs(server.base);
      const signalled = performance.now();
      server.child.kill('SIGTERM');
      await first503(server.base);
      await new Promise((r) => setTimeout(r, 500));
      expect(server.child.exitCode, 'still draining').toBeNull();
      server.child.kill('SIGTERM');
      const [{ code: closeCode }, { code, at }] = await Promise.all([ws.closed, server.exited]);
      expect(code).toBe(0);
      expect(closeCode).toBe(1012);
      expect(at - signalled, 'ms from the first SIGTERM to exit, with a 20 s drain').toBeLessThan(5000);
      expect(server.output()).toContain('drain skipped: stopping now');
      await ws.client.dispose();
    } finally {
      server.kill();
    }
  });

  it('SIGINT skips the drain: WebSockets closed with 1012 at once, exit 0', async () => {
    const server = await startMain(db.url, { SHUTDOWN_DRAIN: '20s' });
    try {
      const ws = await connectedWs(server.base);
      const signalled = performance.now();
      server.child.kill('SIGINT');
      const [{ code: closeCode, at: closedAt }, { code, at }] = await Promise.all([ws.closed, server.exited]);
      expect(closeCode).toBe(1012);
      expect(closedAt - signalled).toBeLessThan(1000);
      expect(code).toBe(0);
      expect(at - signalled).toBeLessThan(5000);
      await ws.client.dispose();
    } finally {
      server.kill();
    }
  });

  it('SIGTERM with an SSE subscription open (it never ends by itself) still exits within drain + SHUTDOWN_TIMEOUT', async () => {
    const server = await startMain(db.url, { SHUTDOWN_DRAIN: '1s', SHUTDOWN_TIMEOUT: '4s' });
    try {
      const res = await fetch(`${server.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('VIEWER')}` },
        body: JSON.stringify({ query: 'subscription { deadLetterCount }' }),
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      // Its first value (after a keep-alive comment): the subscription is live.
      let received = '';
      while (!received.includes('deadLetterCount')) received += new TextDecoder().decode((await reader.read()).value);
      const streamEnded = (async () => {
        try {
          while (!(await reader.read()).done);
        } catch {
          // cut off: ended too
        }
        return performance.now();
      })();
      const signalled = performance.now();
      server.child.kill('SIGTERM');
      const [{ code, at }, endedAt] = await Promise.all([server.exited, streamEnded]);
      expect(at - signalled, 'ms from SIGTERM to exit (drain 1 s + timeout 4 s)').toBeLessThan(1000 + 4000 + 1000);
      expect(endedAt - signalled, 'the stream is open through the drain').toBeGreaterThanOrEqual(950);
      expect(code).toBe(0);
      console.log(`SIGTERM with an SSE stream open: stream cut after ${Math.round(endedAt - signalled)} ms, exit after ${Math.round(at - signalled)} ms`);
    } finally {
      server.kill();
    }
  });

  it('SIGTERM while the database hangs (every byte held): exits after drain + SHUTDOWN_TIMEOUT, naming what it abandoned', async () => {
    const proxy = await freezableProxy(db.url);
    const server = await startMain(proxy.url, { SHUTDOWN_DRAIN: '500ms', SHUTDOWN_TIMEOUT: '2s' });
    try {
      expect((await query(server.base, new Agent())).status).toBe(200);
      proxy.freeze();
      // A request the database will never answer (DATABASE_TIMEOUT is 15 s).
      const hung = query(server.base, new Agent()).catch((error: Error) => error);
      await new Promise((r) => setTimeout(r, 300));
      const signalled = performance.now();
      server.child.kill('SIGTERM');
      const { code, at } = await server.exited;
      expect(at - signalled, 'ms from SIGTERM to exit (drain 0.5 s + timeout 2 s)').toBeLessThan(500 + 2000 + 1500);
      expect(code, 'a shutdown that abandoned something exits 1').toBe(1);
      const abandoned = /shutdown timed out; abandoned: [^"]*/.exec(server.output())?.[0];
      expect(abandoned, server.output()).toBeDefined();
      console.log(`SIGTERM on a hung database: exit ${code} after ${Math.round(at - signalled)} ms; "${abandoned}"`);
      await hung;
    } finally {
      server.kill();
      proxy.close();
    }
  });
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

        const signalled = Date.now();
        stop(npm.pid!);
        expect(await exited).toEqual({ code: 0, signal: null });
        // SIGTERM (a process manager, a rolling deploy) drains for SHUTDOWN_DRAIN, 5 s by default, first; Ctrl-C does not.
        if (how.startsWith('SIGTERM')) {
          expect(output).toContain('draining: /readyz answers 503');
          expect(Date.now() - signalled).toBeGreaterThanOrEqual(5000);
        } else {
          expect(output).not.toContain('draining');
        }
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
    // Each test stops a server with SIGTERM: a drain of 1 s instead of the default 5 s (the 'npm start' tests above keep the default).
    env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? dir, DATA_DIR: path.join(dir, 'data'), EMBEDDED_ROOT_DIR: path.join(dir, 'root'), HOST: '127.0.0.1', LOG_LEVEL: 'info', JWT_SECRET: TEST_SECRET, SHUTDOWN_DRAIN: '1s' };
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

// (e) of the fleet issue: SIGTERM to an instance whose database, or whose PgBouncer, is paused (SIGSTOP)
// with requests in flight. It must exit within SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT, saying what it
// abandoned; a jammed instance once ran on for minutes after SIGTERM and needed SIGKILL. A PostgreSQL
// and a PgBouncer of this file's own: pausing the run's shared server would stall every other test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyz } from '../../scripts/fleet/instances.js';
import { startPgbouncer, type Pgbouncer } from '../../scripts/fleet/pgbouncer.js';
import { findTool } from '../../scripts/fleet/tools.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { TEST_SECRET, token, until } from '../helpers.js';
import { RECORD } from '../scans-fixtures.js';
import { postgresPids } from '../postgres-pids.js';

const repo = path.resolve(import.meta.dirname, '../..');
const DRAIN_MS = 1000;
const TIMEOUT_MS = 3000;
const SLACK_MS = 1500;

let dir: string;
let pg: EmbeddedDatabase;
let pooler: Pgbouncer;
let paused: number[] = [];

// Debian's pgbouncer: CI installs it (.ci/run) and fails without; elsewhere this is skipped, saying what to install.
const missing = await findTool('pgbouncer').then(() => null, (error: Error) => error.message);
const skip = missing !== null && !process.env.CI;
if (skip) console.warn(`test/fleet/paused-shutdown skipped: ${missing}`);

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-paused-'));
  pg = await startEmbeddedPostgres(dir, createLogger('silent'));
  pooler = await startPgbouncer(pg.url, { mode: 'transaction' });
}, 120_000);

afterAll(async () => {
  resume();
  await pooler?.stop();
  await pg?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function resume(): void {
  for (const pid of paused.splice(0)) process.kill(pid, 'SIGCONT');
}


interface Instance {
  child: ChildProcess;
  port: number;
  output(): string;
}

/** `node --import tsx src/main.ts` as a process manager runs it: the pools through the pooler, LISTEN direct. */
async function startInstance(): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      DATABASE_URL: pooler.url(pg.url),
      DATABASE_DIRECT_URL: pg.url,
      JWT_SECRET: TEST_SECRET,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN: `${DRAIN_MS}ms`,
      SHUTDOWN_TIMEOUT: `${TIMEOUT_MS}ms`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`the instance exited at start:\n${output}`);
    return (await readyz(port, 1000)) === 200;
  }, 90_000);
  return { child, port, output: () => output };
}

const FAULTS = [
  { name: 'the database', pids: () => postgresPids(pg.dataDirectory) },
  { name: 'PgBouncer', pids: async () => [pooler.pid] },
];

describe.skipIf(skip).each(FAULTS)('SIGTERM while $name is paused (SIGSTOP)', ({ pids }) => {
  it(`exits within SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT (${DRAIN_MS} + ${TIMEOUT_MS} ms) and names what it abandoned`, async () => {
    const instance = await startInstance();
    const url = `http://127.0.0.1:${instance.port}/graphql`;
    const bearer = await token('OPERATOR');
    const send = (query: string, variables: Record<string, unknown> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
    expect((await (await send(RECORD, { input: { scanType: 'checkin', subjectId: 'before' } })).json()).errors).toBeUndefined();

    paused = await pids();
    for (const pid of paused) process.kill(pid, 'SIGSTOP');
    // Requests in flight, hung on the paused database or pooler; they end with the process.
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      send(i % 2 ? '{ scanStats { total } }' : RECORD, { input: { scanType: 'checkin', subjectId: `hung-${i}` } }).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 300));

    const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
    const t0 = performance.now();
    instance.child.kill('SIGTERM');
    const killer = setTimeout(() => instance.child.kill('SIGKILL'), 30_000);
    const code = await exited;
    const ms = Math.round(performance.now() - t0);
    clearTimeout(killer);
    resume();
    await Promise.all(inFlight);

    const abandoned = /"msg":"(shutdown timed out; abandoned: [^"]*)"/.exec(instance.output())?.[1];
    console.log(`paused, then SIGTERM: exited ${ms} ms later with code ${code}; ${abandoned ?? 'no "shutdown timed out" line'}`);
    expect(ms).toBeLessThan(DRAIN_MS + TIMEOUT_MS + SLACK_MS);
    expect(abandoned, instance.output().slice(-3000)).toBeDefined();
    expect(code).toBe(1);
  }, 120_000);
});

// Shared plumbing for the bench/ scripts: a throwaway database, the real
// server on it, and latency statistics. Figures are printed, never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { buildApp, type App } from '../src/app.js';
import type { Role } from '../src/auth/roles.js';
import { signToken } from '../src/auth/tokens.js';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';

export const SECRET = 'opsgraph-bench-secret-0123456789abcdef';

/** BENCH_SCALE, a fraction in (0, 1] of each dataset's full size; default 1. */
export function benchScale(): number {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be a fraction in (0, 1]');
  return scale;
}

export interface BenchDatabase {
  url: string;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** A fresh, migrated database: on BENCH_DATABASE_URL's server, or on an embedded PostgreSQL in a temp dir. */
export async function benchDatabase(name: string): Promise<BenchDatabase> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  if (!serverUrl) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-bench-'));
    await chmod(dir, 0o755);
    const embedded = await startEmbeddedPostgres(dir, createLogger('silent'));
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const database = `opsgraph_bench_${name}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.unsafe(`create database ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const sql = postgres(url.toString(), { max: 10, onnotice: () => {} });
  await migrate(sql as never);
  return {
    url: url.toString(),
    sql,
    async close() {
      await sql.end();
      await admin.unsafe(`drop database if exists ${database} with (force)`);
      await admin.end();
      if (stopEmbedded) await stopEmbedded();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchServer {
  app: App;
  url: string;
  token(role: Role): Promise<string>;
  /** One GraphQL request over real HTTP; throws on any GraphQL error. */
  gql(query: string, variables?: Record<string, unknown>, role?: Role): Promise<any>;
}

export async function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const app = await buildApp({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NOTIFICATION_WORKER: 'off',
    EXECUTION_REAPER: 'off',
    ...env,
  });
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}/graphql`;
  const tokens = new Map<Role, string>();
  const token = async (role: Role) => {
    if (!tokens.has(role)) tokens.set(role, await signToken(SECRET, `bench-${role.toLowerCase()}`, role, 86_400));
    return tokens.get(role)!;
  };
  return {
    app,
    url,
    token,
    async gql(query, variables, role = 'SUPERADMIN') {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(role)}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

export interface ServerProcess {
  process: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** SIGTERM, then waits for the exit (a --cpu-prof profile is written then). */
  stop(): Promise<void>;
}

/** A readiness check: GET `path` answers 2xx. */
export const answersOk = (path: string) => (base: string) => fetch(`${base}${path}`).then((r) => r.ok, () => false);

/**
 * Starts a server as its own process on a free port (given as PORT) and waits
 * until `isReady(base)`; stdout is dropped, stderr shown.
 */
export async function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  isReady: (base: string) => Promise<boolean>,
  cwd?: string,
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  while (!(await isReady(base))) {
    if (child.exitCode !== null) throw new Error(`${[command, ...args].join(' ')} exited with ${child.exitCode} before it was ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    base,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The real server, `node --import tsx src/main.ts`, as its own process on
 * `databaseUrl` with the bench secret. `nodeOptions` go before the script
 * (e.g. --cpu-prof); `checkout` is the directory of another copy of opsgraph
 * to run instead of this one.
 */
export function startServerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeOptions: string[] = [],
  checkout = new URL('..', import.meta.url).pathname,
): Promise<ServerProcess> {
  return startProcess(
    process.execPath,
    [...nodeOptions, '--import', 'tsx', path.join(checkout, 'src/main.ts')],
    { DATABASE_URL: databaseUrl, JWT_SECRET: SECRET, HOST: '127.0.0.1', ...env },
    answersOk('/readyz'),
  );
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs `fn` `n` times one after another (after `warmup` unmeasured runs); returns p50/p99 in ms. */
export async function latency(n: number, fn: () => Promise<unknown>, warmup = Math.ceil(n / 10)) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Runs `fn` from `workers` concurrent loops for `ms`; returns operations per second. */
export async function throughput(workers: number, ms: number, fn: (worker: number) => Promise<unknown>) {
  const deadline = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        await fn(worker);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp, type App, type AppHooks } from '../src/app.js';
import { type Role } from '../src/auth/roles.js';
import { signToken } from '../src/auth/tokens.js';
import type { Sql } from '../src/db/client.js';
import { databaseUrl } from './db-url.js';

export const TEST_SECRET = 'opsgraph-test-secret-0123456789abcdef';

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const name = `opsgraph_t_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${inject('templateDb')}`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(adminUrl, name),
    async drop() {
      const again = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

export function token(role: Role, sub = `test-${role.toLowerCase()}`, ttlSeconds = 3600): Promise<string> {
  return signToken(TEST_SECRET, sub, role, ttlSeconds);
}

export interface GqlResult<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** Who sends a request: a role (a fresh test token), a raw token, or nobody. */
export type Sender = Role | { token: string } | null;

async function requestHeaders(as: Sender): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (as !== null) headers.authorization = `Bearer ${typeof as === 'string' ? await token(as) : as.token}`;
  return headers;
}

function parsed<T>(status: number, type: string | null, text: string, where: string): GqlResult<T> {
  try {
    return JSON.parse(text) as GqlResult<T>;
  } catch {
    throw new Error(`${where} answered ${status} ${type}: ${text.slice(0, 200)}`);
  }
}

/**
 * One POST over `agent`'s keep-alive sockets. node:http rather than fetch: a
 * test's client shares the CPU with its server, and fetch cost about 2.5 times
 * as much per request (scans-concurrency sends thousands).
 */
function post(url: string, agent: Agent, headers: Record<string, string>, body: string): Promise<{ status: number; type: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? null, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A listening server on a test database, and the ways tests talk to it. */
export interface TestServer {
  app: App;
  sql: Sql;
  databaseUrl: string;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  wsUrl: string;
  /** The port of METRICS_PORT's own server; null when /metrics is on the API port. */
  metricsPort: number | null;
  /**
   * POSTs an operation as `as` over real HTTP (keep-alive) to the listening
   * server, as every program does in production: the JSON fast path
   * (src/yoga/json-post.ts) answers it, behind the same routes and body
   * limits a client meets.
   */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Sender): Promise<GqlResult<T>>;
  /**
   * The same request handed to yoga.fetch, in process: never the fast path,
   * nor the HTTP server in front of it. Only for what is yoga's alone and for
   * comparing the two paths (test/json-post.test.ts); say why where it is used.
   */
  gqlViaYoga<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Sender): Promise<GqlResult<T>>;
  /** Stops the server (app.stop) and closes the client's sockets to it. */
  stop(): Promise<void>;
}

/** The handle useTestApp returns: a server on a fresh database of its own. */
export type TestApp = TestServer;

/**
 * In the "pooler" project (vitest.config.ts), a URL on the run's PostgreSQL as a server gets it:
 * DATABASE_URL through the project's PgBouncer in transaction mode, DATABASE_DIRECT_URL the database
 * itself. Elsewhere, and for a database on another server (a test's own PostgreSQL), none.
 */
function pooledUrls(databaseUrl: string): { DATABASE_URL: string; DATABASE_DIRECT_URL: string } | null {
  const poolerPort = inject('poolerPort');
  if (!poolerPort) return null;
  const admin = new URL(inject('adminUrl'));
  const url = new URL(databaseUrl);
  if (url.hostname !== admin.hostname || url.port !== admin.port) return null;
  url.hostname = '127.0.0.1';
  url.port = String(poolerPort);
  return { DATABASE_URL: url.toString(), DATABASE_DIRECT_URL: databaseUrl };
}

/**
 * The environment every test server runs with: on `databaseUrl` (through the pooler in the "pooler"
 * project), quiet, background work off; `env` overrides.
 */
export function testServerEnv(databaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ...pooledUrls(databaseUrl),
    JWT_SECRET: TEST_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NOTIFICATION_WORKER: 'off',
    EXECUTION_REAPER: 'off',
    // Every query compiled from its first run, so the whole suite runs on graphql-jit
    // (test/compiled-queries.test.ts checks the default, graphql-js first).
    GRAPHQL_JIT_AFTER: '0',
    // Webhook tests deliver to a receiver on loopback, which webhooks may reach only when allowed
    // (test/security/webhooks.test.ts sets it empty).
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    ...env,
  };
}

/**
 * Builds and starts a server on `databaseUrl` (testServerEnv, `env` overrides).
 * The caller stops it with `stop()`: its port, the sockets on both sides and
 * its pool closed. A server that fails to start is stopped here.
 */
export async function startTestServer(databaseUrl: string, env: Record<string, string> = {}, hooks: AppHooks = {}): Promise<TestServer> {
  const app = await buildApp(testServerEnv(databaseUrl, env), hooks);
  let started: Awaited<ReturnType<App['start']>>;
  try {
    started = await app.start();
  } catch (error) {
    await app.stop();
    throw error;
  }
  const url = `http://127.0.0.1:${started.port}/graphql`;
  const agent = new Agent({ keepAlive: true });
  return {
    app,
    sql: app.sql,
    databaseUrl,
    url,
    wsUrl: `ws://127.0.0.1:${started.port}/graphql`,
    metricsPort: started.metricsPort,
    async gql(query, variables, as = null) {
      const res = await post(url, agent, await requestHeaders(as), JSON.stringify({ query, variables }));
      return parsed(res.status, res.type, res.text, `POST ${url}`);
    },
    async gqlViaYoga(query, variables, as = null) {
      const res = await app.yoga.fetch('http://localhost/graphql', { method: 'POST', headers: await requestHeaders(as), body: JSON.stringify({ query, variables }) });
      return parsed(res.status, res.headers.get('content-type'), await res.text(), 'yoga.fetch');
    },
    async stop() {
      await app.stop();
      agent.destroy();
    },
  };
}

/**
 * Starts the real server on a fresh database for the current test file and
 * stops it afterwards. Extra environment overrides the test defaults.
 */
export function useTestApp(env: Record<string, string> = {}, hooks: AppHooks = {}): TestApp {
  const handle = {} as TestApp;
  let dropDb: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const db = await createTestDatabase();
    dropDb = db.drop;
    Object.assign(handle, await startTestServer(db.url, env, hooks));
  });
  afterAll(async () => {
    await handle.stop?.();
    await dropDb?.();
  });
  return handle;
}

/**
 * A second server instance on `first`'s database, for the current test file:
 * what another replica of a deployment sees (LISTEN/NOTIFY across instances).
 * Call it after useTestApp: it starts after `first` and stops before it.
 */
export function useSecondInstance(first: TestServer, env: Record<string, string> = {}, hooks: AppHooks = {}): TestServer {
  const handle = {} as TestServer;
  beforeAll(async () => {
    if (!first.databaseUrl) throw new Error('useSecondInstance needs a started first instance: call it after useTestApp');
    Object.assign(handle, await startTestServer(first.databaseUrl, env, hooks));
  });
  afterAll(async () => {
    await handle.stop?.();
  });
  return handle;
}

/** The codes of a result's errors, for compact assertions. */
export function codes(result: GqlResult): (string | undefined)[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

/** Waits until `check` holds, polling; fails the test after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets the server run for a while: for asserting that something did not happen. */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** One unlabelled (or fully labelled) sample from a server's /metrics; 0 when absent. */
export async function metricValue(graphqlUrl: string, name: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const escaped = name.replace(/[{}]/g, '\\$&');
  return Number(new RegExp(`^${escaped} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
}

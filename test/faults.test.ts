// The fault matrix: a real PostgreSQL that this file controls, stopped and
// restarted, cut off behind a TCP proxy, paused (SIGSTOP on the postmaster and
// its backends: the hung database), and its backends terminated. For each fault,
// every kind of request is tried while it lasts and checked after it; the
// outcome of each is printed as a matrix. Two server instances share the
// database: `main` holds the existing subscriptions, the notification worker and
// the reaper; `fresh` takes the new subscriptions, so each fault meets a topic's
// first subscriber (its first LISTEN) while the database is unreachable.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { metricValue, TEST_SECRET, token } from './helpers.js';
import { startReceiver, type Receiver } from './notifications-receiver.js';
import { wsClient } from './ws-client.js';
import type { Client } from 'graphql-ws';
import { postgresPids } from './postgres-pids.js';

/** DATABASE_TIMEOUT in this file: the bound on a query or mutation the database does not answer. */
const DB_TIMEOUT_MS = 2000;
/** Slack on top of it for a loaded two-core machine. */
const FAIL_FAST_MS = DB_TIMEOUT_MS + 2000;
/** After the fault ends, everything must be current again within this. */
const RECOVERY_MS = 20_000;
/** How long each fault lasts. */
const HOLD_MS = 2500;
const JOB = 'fault-job';

// ---- the database, and a TCP proxy between it and the servers -----------------

let dir: string;
let pgPort: number;
let pg: EmbeddedDatabase;
let admin: postgres.Sql;

interface Proxy {
  port: number;
  cut(): Promise<void>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(target: number): Promise<Proxy> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const socket of [client, upstream]) socket.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  const cut = async () => {
    const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
  };
  return { port, cut, reopen: listen, close: cut };
}

function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}


// ---- the servers ------------------------------------------------------------

let proxy: Proxy;
let main: App;
let fresh: App;
let mainUrl: string;
let freshUrl: string;
let receiver: Receiver;

async function startServer(url: string, env: Record<string, string>): Promise<{ app: App; base: string }> {
  const app = await buildApp({
    DATABASE_URL: url,
    JWT_SECRET: TEST_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    // FAULTS_LOG_LEVEL=info shows what the servers saw.
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'silent',
    LIVE_COALESCE_INTERVAL: '50ms',
    LISTEN_HEARTBEAT_INTERVAL: '1s',
    LISTEN_HEARTBEAT_TIMEOUT: '1s',
    DATABASE_TIMEOUT: `${DB_TIMEOUT_MS}ms`,
    // The webhook receiver is this test's own, on loopback.
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    ...env,
  });
  const { port } = await app.start();
  return { app, base: `http://127.0.0.1:${port}` };
}

async function http(base: string, query: string, variables?: Record<string, unknown>) {
  const started = Date.now();
  try {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('SUPERADMIN')}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    return { body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] }, ms: Date.now() - started };
  } catch (error) {
    return { body: { errors: [{ message: String(error), extensions: { code: 'NO_ANSWER' } }] }, ms: Date.now() - started };
  }
}

async function status(base: string, route: string): Promise<number> {
  return fetch(`${base}${route}`, { signal: AbortSignal.timeout(10_000) }).then(
    (res) => res.status,
    () => 0,
  );
}

// ---- subscriptions ----------------------------------------------------------

interface Watched {
  name: string;
  values: unknown[];
  firstAt: number | null;
  error: unknown;
  completed: boolean;
  stop(): void;
}

function watch(client: Client, name: string, query: string): Watched {
  const watched: Watched = { name, values: [], firstAt: null, error: null, completed: false, stop: () => {} };
  watched.stop = client.subscribe(
    { query },
    {
      next: (result) => {
        watched.firstAt ??= Date.now();
        watched.values.push(result.errors ? { errors: result.errors } : result.data);
      },
      error: (error) => ((watched.error = error), (watched.completed = true)),
      complete: () => (watched.completed = true),
    },
  );
  return watched;
}

const BADGES = (since: string) => ({
  dashboard: 'subscription { dashboard { deadLetterCount failedNotificationCount jobsRunning jobsPending failureCount { count } scanStats { total } } }',
  deadLetterCount: 'subscription { deadLetterCount }',
  failureCount: `subscription { failureCount(since: "${since}") { count } }`,
  jobLiveCounts: `subscription { jobLiveCounts(jobId: "${JOB}") { running pending } }`,
  scanStats: 'subscription { scanStats { total } }',
});

/** What each badge must show once everything is current, read straight from the database. */
async function truth(since: string) {
  const [dead] = await admin`select count(*)::int as n from notifications where status = 'DEAD'`;
  const [failedNotifications] = await admin`select count(*)::int as n from notifications where status = 'FAILED'`;
  const [scans] = await admin`select coalesce(sum(count), 0)::int as n from scan_counters`;
  const [jobs] = await admin`
    select count(*) filter (where status = 'RUNNING')::int as running, count(*) filter (where status = 'PENDING')::int as pending
    from executions where job_id = ${JOB}`;
  const [allJobs] = await admin`
    select count(*) filter (where status = 'RUNNING')::int as running, count(*) filter (where status = 'PENDING')::int as pending
    from executions`;
  const failures = async (interval: string) =>
    (
      await admin`
        select ((select count(*) from orchestrator_events where not success and occurred_at > now() - ${interval}::interval)
              + (select count(*) from orchestrator_emails where not success and occurred_at > now() - ${interval}::interval))::int as n`
    )[0]!.n as number;
  const minutes = Number(/^(\d+)m$/.exec(since)![1]);
  return {
    dashboard: {
      deadLetterCount: dead!.n,
      failedNotificationCount: failedNotifications!.n,
      jobsRunning: allJobs!.running,
      jobsPending: allJobs!.pending,
      failureCount: { count: await failures('1 hour') },
      scanStats: { total: scans!.n },
    },
    deadLetterCount: dead!.n,
    failureCount: { count: await failures(`${minutes} minutes`) },
    jobLiveCounts: { running: jobs!.running, pending: jobs!.pending },
    scanStats: { total: scans!.n },
  } as Record<string, unknown>;
}

const last = (watched: Watched) => {
  const value = watched.values.at(-1) as Record<string, unknown> | undefined;
  return value && !('errors' in value) ? value[watched.name] : undefined;
};

// ---- writes that each fault must not lose -----------------------------------

let webhookIds: string[] = [];
async function enqueueWebhook(sql: postgres.Sql, label: string): Promise<void> {
  const [row] = await sql`
    insert into notifications (channel, recipient, subject, body) values ('WEBHOOK', ${receiver.url}, ${label}, 'fault matrix')
    returning id::text`;
  webhookIds.push(row!.id);
}

/** Changes every badge and the kill feed: a dead letter, a failure, an in-flight execution, a kill signal. */
async function changeEverything(sql: postgres.Sql, label: string): Promise<void> {
  await sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', ${label}, 'b', 'DEAD')`;
  await sql`insert into orchestrator_events (kind, success, detail) values ('TRAFFIC', false, ${label})`;
  const [exec] = await sql`
    insert into executions (job_id, version, initiated_by, target_count) values (${JOB}, '1', 'faults', 1) returning id::text`;
  await sql`insert into kill_signals (exec_id, job_id, requested_by) values (${exec!.id}, ${JOB}, ${label})`;
  await enqueueWebhook(sql, label);
}

// ---- the faults ---------------------------------------------------------------

interface Fault {
  name: string;
  /** Whether writes can reach the database (not through the servers) while the fault lasts. */
  databaseUp: boolean;
  start(): Promise<void>;
  end(): Promise<void>;
}

let paused: number[] = [];
const FAULTS: Fault[] = [
  {
    name: 'stop/restart',
    databaseUp: false,
    start: () => pg.stop(),
    end: async () => {
      pg = await startEmbeddedPostgres(dir, createLogger('silent'), pgPort);
    },
  },
  { name: 'proxy cut', databaseUp: true, start: () => proxy.cut(), end: () => proxy.reopen() },
  {
    name: 'pause (SIGSTOP)',
    databaseUp: false,
    start: async () => {
      paused = await postgresPids(pg.dataDirectory);
      for (const pid of paused) process.kill(pid, 'SIGSTOP');
    },
    end: async () => {
      for (const pid of paused) process.kill(pid, 'SIGCONT');
    },
  },
  {
    name: 'pg_terminate_backend',
    databaseUp: true,
    start: async () => {
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'opsgraph%' and pid <> pg_backend_pid()`;
    },
    end: async () => {},
  },
];

// ---- setup ------------------------------------------------------------------

let existing: Watched[] = [];
let existingKills: Watched;
let mainClient: Client;
const matrix: Record<string, Record<string, string>> = {};
// The new subscriptions of the current fault, on `fresh`.
let freshClient: Client | null = null;
let fresh_: Watched[] = [];
let freshKills: Watched | null = null;
/** When the fresh instance's subscriptions were opened (during the fault). */
let freshSubscribedAt = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-faults-'));
  pgPort = await freePort();
  pg = await startEmbeddedPostgres(dir, createLogger('silent'), pgPort);
  // The test's own client lives through every fault too: no array types fetched per connection, whose
  // discarded promise postgres.js lets escape when the connection dies during it (src/db/client.ts).
  admin = postgres(pg.url, { max: 2, onnotice: () => {}, fetch_types: false });
  proxy = await startProxy(pgPort);
  receiver = await startReceiver();
  const url = throughProxy(pg.url, proxy.port);
  const started = await startServer(url, {
    NOTIFICATION_WORKER: 'on',
    NOTIFICATION_RETRY_INTERVAL: '1s',
    NOTIFICATION_BACKOFF_UNIT: '1s',
    NOTIFICATION_BACKOFF_CAP: '2s',
    EXECUTION_REAPER: 'on',
    EXECUTION_REAPER_INTERVAL: '1s',
    EXECUTION_RESULT_TIMEOUT: '1h',
  });
  main = started.app;
  mainUrl = started.base;
  const second = await startServer(url, { NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' });
  fresh = second.app;
  freshUrl = second.base;
  await admin`insert into jobs (id, version) values (${JOB}, '1')`;

  mainClient = wsClient(mainUrl.replace('http', 'ws') + '/graphql', await token('SUPERADMIN'), { lazy: false });
  existing = Object.entries(BADGES('60m')).map(([name, query]) => watch(mainClient, name, query));
  existingKills = watch(mainClient, 'killSignals', `subscription { killSignals { execId requestedBy } }`);
  const deadline = Date.now() + 10_000;
  while (existing.some((w) => w.values.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}, 120_000);

afterAll(async () => {
  for (const w of existing) w.stop();
  await mainClient?.dispose();
  await fresh?.stop();
  await main?.stop();
  await proxy?.close();
  await receiver?.close();
  await admin?.end({ timeout: 1 });
  await pg?.remove();
  await rm(dir, { recursive: true, force: true });
  printMatrix();
});

function printMatrix(): void {
  const faults = Object.keys(matrix);
  if (faults.length === 0) return;
  const kinds = [...new Set(faults.flatMap((fault) => Object.keys(matrix[fault]!)))];
  const width = Math.max(...kinds.map((k) => k.length));
  const lines = ['', 'Fault matrix (fault × request kind → outcome)'];
  for (const fault of faults) {
    lines.push(`\n== ${fault}`);
    for (const kind of kinds) lines.push(`  ${kind.padEnd(width)}  ${matrix[fault]![kind] ?? '-'}`);
  }
  console.log(lines.join('\n'));
}

const until = async (check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

function outcomeOf(result: Awaited<ReturnType<typeof http>>, field: string): string {
  const code = result.body.errors?.[0]?.extensions?.code;
  if (code) return `${code} in ${result.ms} ms`;
  return result.body.data?.[field] !== undefined ? `answered in ${result.ms} ms` : `no data, no error in ${result.ms} ms`;
}

// ---- the matrix ----------------------------------------------------------------

describe('the fault matrix', () => {
  let round = 0;
  it.each(FAULTS.map((fault) => [fault.name, fault] as const))('%s', async (name, fault) => {
    round++;
    const row: Record<string, string> = (matrix[name] = {});
    const since = `${30 + round}m`; // a failureCount no one watches yet: its own computation and LISTEN on `fresh`
    const killsBefore = existingKills.values.length;
    const listenFailuresBefore = await metricValue(`${freshUrl}/graphql`, 'opsgraph_listen_failures_total');
    const reapable = await admin`
      insert into executions (job_id, version, initiated_by, target_count, status, created_at)
      values ('reaped-job', '1', 'faults', 1, 'RUNNING', now() - interval '2 hours') returning id::text`;
    await until(async () => (await admin`select status from executions where id = ${reapable[0]!.id}`)[0]!.status === 'FAILED', 10_000);

    await fault.start();
    try {
      // A moment for the servers to run into it.
      await new Promise((r) => setTimeout(r, 300));
      const [query, mutation, healthz, readyz] = await Promise.all([
        http(mainUrl, '{ auditLog(first: 1) { totalCount } }'),
        http(mainUrl, 'mutation { recordScan(input: { scanType: "checkin", subjectId: "fault" }) { id } }'),
        status(mainUrl, '/healthz'),
        status(mainUrl, '/readyz'),
      ]);
      row['query'] = outcomeOf(query, 'auditLog');
      row['mutation'] = outcomeOf(mutation, 'recordScan');
      row['/healthz'] = String(healthz);
      row['/readyz during'] = String(readyz);
      for (const result of [query, mutation]) {
        expect(result.ms, `${name}: a query or mutation must fail fast or answer`).toBeLessThan(FAIL_FAST_MS);
        const code = result.body.errors?.[0]?.extensions?.code;
        expect(code === undefined || code === 'SERVICE_UNAVAILABLE', `${name}: ${JSON.stringify(result.body)}`).toBe(true);
      }
      expect(healthz).toBe(200);
      if (!fault.databaseUp || name === 'proxy cut') expect(readyz).toBe(503);

      // New subscriptions on the instance that has none: each is its topic's first LISTEN.
      const subscribedAt = Date.now();
      freshSubscribedAt = subscribedAt;
      freshClient = wsClient(freshUrl.replace('http', 'ws') + '/graphql', await token('SUPERADMIN'), { lazy: false });
      fresh_ = Object.entries(BADGES(since)).map(([badge, q]) => watch(freshClient!, badge, q));
      freshKills = watch(freshClient, 'killSignals', `subscription { killSignals { execId requestedBy } }`);

      // Writes that reach the database behind the servers' backs while they cannot see it.
      if (fault.databaseUp) await changeEverything(admin, `${name} during`);
      await new Promise((r) => setTimeout(r, HOLD_MS));
      row['new subscriptions during'] = fresh_
        .map((w) => `${w.name}: ${w.firstAt ? `value in ${w.firstAt - subscribedAt} ms` : w.completed ? 'completed with an error' : 'no value yet (waits for the database)'}`)
        .join(', ');
    } finally {
      await fault.end();
    }
    const recoveredAt = Date.now();

    // After recovery: more changes, through the API this time, then everything must be current.
    const ready = await until(async () => (await status(mainUrl, '/readyz')) === 200, RECOVERY_MS);
    row['/readyz after'] = ready ? `200 after ${Date.now() - recoveredAt} ms` : 'still 503';
    expect(ready).toBe(true);
    await changeEverything(admin, `${name} after`);
    const mutated = await http(mainUrl, 'mutation { recordScan(input: { scanType: "checkin", subjectId: "after" }) { id } }');
    expect(mutated.body.errors).toBeUndefined();
    const killed = await http(mainUrl, `mutation { killJob(id: "${JOB}") { count } }`);
    expect(killed.body.errors).toBeUndefined();

    const expected = await truth(since);
    const current = (w: Watched) => JSON.stringify(last(w)) === JSON.stringify(expected[w.name]);
    const existingCurrent = await until(() => existing.every((w) => current(w) || w.completed), RECOVERY_MS);
    const freshCurrent = await until(() => fresh_.every((w) => current(w) || w.completed), RECOVERY_MS);
    const currentAfter = Date.now() - recoveredAt;
    row['existing subscriptions'] = existingCurrent
      ? `current ${currentAfter} ms after recovery${existing.some((w) => w.completed) ? ' (some completed with an error)' : ''}`
      : `STALE: ${existing.filter((w) => !current(w)).map((w) => `${w.name}=${JSON.stringify(last(w))} want ${JSON.stringify(expected[w.name])}`).join('; ')}`;
    row['new subscriptions after'] = freshCurrent
      ? 'all current'
      : `STALE: ${fresh_.filter((w) => !current(w)).map((w) => `${w.name}=${JSON.stringify(last(w))}`).join('; ')}`;
    expect(existingCurrent, row['existing subscriptions']).toBe(true);
    expect(freshCurrent, row['new subscriptions after']).toBe(true);

    // Kill signals: every one requested since the feed opened arrives exactly once, on both instances.
    const wantKills = (await admin`select count(*)::int as n from kill_signals`)[0]!.n as number;
    const killsCurrent = await until(() => existingKills.values.length === wantKills, RECOVERY_MS);
    row['kill signals'] = killsCurrent
      ? `all ${wantKills - killsBefore} new signals delivered once (${existingKills.values.length} in all)`
      : `${existingKills.values.length} of ${wantKills} delivered`;
    expect(existingKills.values.length).toBe(wantKills);
    // The subscriber that joined during the fault gets, once, every signal requested after it subscribed
    // where the database was out of its server's reach then (it joined late, see src/live/kill-feed.ts);
    // where it was not, a signal written right after the client sent its subscribe may precede the join,
    // so there every signal requested after recovery counts.
    const killsSince = name === 'pg_terminate_backend' ? new Date(recoveredAt) : new Date(freshSubscribedAt);
    const wantFresh = (await admin`select count(*)::int as n from kill_signals where requested_at >= ${killsSince}`)[0]!.n as number;
    expect(wantFresh).toBeGreaterThan(0);
    const late = name !== 'pg_terminate_backend';
    const enough = () => (late ? freshKills!.values.length === wantFresh : freshKills!.values.length >= wantFresh);
    expect(await until(enough, RECOVERY_MS), `fresh kills ${freshKills!.values.length} of ${wantFresh}`).toBe(true);

    // Notifications: each webhook row delivered exactly once.
    const delivered = await until(() => webhookIds.every((id) => receiver.succeeded.includes(id)), RECOVERY_MS);
    const twice = receiver.succeeded.filter((id, i) => receiver.succeeded.indexOf(id) !== i);
    row['notification worker'] = delivered && twice.length === 0 ? `all ${webhookIds.length} delivered once` : `missing or duplicated: ${twice.join(',')}`;
    expect(delivered).toBe(true);
    expect(twice).toEqual([]);

    // The reaper still sweeps.
    const overdue = await admin`
      insert into executions (job_id, version, initiated_by, target_count, status, created_at)
      values ('reaped-job', '1', 'faults', 1, 'RUNNING', now() - interval '2 hours') returning id::text`;
    const reaped = await until(async () => (await admin`select status from executions where id = ${overdue[0]!.id}`)[0]!.status === 'FAILED', RECOVERY_MS);
    row['reaper'] = reaped ? 'sweeps again after recovery' : 'STOPPED';
    expect(reaped).toBe(true);

    // The first LISTENs on `fresh` that failed were retried, logged and counted. Only the cut refuses
    // every connection for sure; otherwise postgres.js may hold the LISTEN until it can connect.
    const failures = (await metricValue(`${freshUrl}/graphql`, 'opsgraph_listen_failures_total')) - listenFailuresBefore;
    row['LISTEN failures (metric)'] = `${failures} during this fault`;
    if (name === 'proxy cut') expect(failures).toBeGreaterThan(0);
    row['process'] = 'up';
    for (const w of [...fresh_, freshKills!]) w.stop();
    await freshClient!.dispose();
    fresh_ = [];
  }, 120_000);
});

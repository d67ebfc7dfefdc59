import { spawn } from 'node:child_process';
import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { settle, TEST_SECRET, token, until, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

let statements = 0;
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' }, { onQuery: () => statements++ });
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

async function client(role: Parameters<typeof token>[0] | null = 'VIEWER', url = t.wsUrl) {
  const c = wsClient(url, role ? await token(role) : null);
  clients.push(c);
  return c;
}

/** Subscribes and collects every payload (data or errors) it receives. */
function watch(c: Client, query: string, variables?: Record<string, unknown>) {
  const values: any[] = [];
  const errors: any[] = [];
  const stop = c.subscribe(
    { query, variables },
    {
      next: (value) => (value.errors ? errors.push(...value.errors) : values.push(value.data)),
      error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => {},
    },
  );
  return { values, errors, stop };
}


describe('badge subscriptions', () => {
  it('scanStats: current value, then a push per change, by mutation and by plain SQL', async () => {
    const w = watch(await client(), 'subscription { scanStats { total stats { scanType count } } }');
    await until(() => w.values.length === 1);
    expect(w.values[0].scanStats.total).toBe(0);
    await t.gql('mutation { recordScan(input: { scanType: "lunch", subjectId: "a" }) { id: rowId } }', {}, 'OPERATOR');
    await until(() => w.values.length === 2);
    expect(w.values[1].scanStats).toEqual({ total: 1, stats: [{ scanType: 'lunch', count: 1 }] });
    await t.sql`insert into scan_counters (scan_type, slot, count) values ('swag', 0, 2)`;
    await until(() => w.values.length === 3);
    expect(w.values[2].scanStats.total).toBe(3);
    await t.sql`update scan_counters set updated_at = now()`; // a change that moves nothing
    await settle();
    expect(w.values).toHaveLength(3);
    w.stop();
  });

  it('failureCount: pushes on a recorded failure and on a direct insert into either table, not on a success', async () => {
    const w = watch(await client(), 'subscription($kind: OrchestratorKind) { failureCount(since: "1h", kind: $kind) { count since kind } }');
    const email = watch(await client(), 'subscription { failureCount(since: "1h", kind: EMAIL) { count } }');
    await until(() => w.values.length === 1 && email.values.length === 1);
    const base = w.values[0].failureCount.count;
    await t.gql('mutation { recordOrchestratorEvent(input: { kind: TRAFFIC, success: false }) { id: rowId } }', {}, 'OPERATOR');
    await until(() => w.values.length === 2);
    await t.gql('mutation { recordOrchestratorEvent(input: { kind: FILE, success: true }) { id: rowId } }', {}, 'OPERATOR');
    await t.sql`insert into orchestrator_emails (success, occurred_at) values (false, now())`;
    await until(() => w.values.length === 3 && email.values.length === 2);
    expect(w.values.map((v) => v.failureCount.count)).toEqual([base, base + 1, base + 2]);
    expect(w.values[2].failureCount).toMatchObject({ since: '1h', kind: null });
    expect(email.values.map((v) => v.failureCount.count)).toEqual([0, 1]);
    w.stop();
    email.stop();
  });

  it('failureCount: goes down on its own when a failure ages out of the window', async () => {
    await t.sql`insert into orchestrator_events (kind, success, occurred_at) values ('FILE', false, now() - interval '1 second')`;
    const w = watch(await client(), 'subscription { failureCount(since: "3s", kind: FILE) { count } }');
    await until(() => w.values.length === 1);
    expect(w.values[0].failureCount.count).toBe(1);
    await until(() => w.values.length === 2, 5000);
    expect(w.values[1].failureCount.count).toBe(0);
    w.stop();
  });

  it('failureCount: refuses a bad window at subscribe time with BAD_USER_INPUT', async () => {
    const w = watch(await client(), 'subscription { failureCount(since: "8d") { count } }');
    await until(() => w.errors.length === 1);
    expect(w.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(w.values).toEqual([]);
  });

  it('deadLetterCount and dashboard follow notifications and executions', async () => {
    const dead = watch(await client(), 'subscription { deadLetterCount }');
    const dash = watch(await client(), 'subscription { dashboard { deadLetterCount jobsPending jobsRunning failureCount { count } scanStats { total } } }');
    await until(() => dead.values.length === 1 && dash.values.length === 1);
    await t.sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', 's', 'b', 'DEAD')`;
    await until(() => dead.values.length === 2 && dash.values.length === 2);
    expect(dead.values[1].deadLetterCount).toBe(dead.values[0].deadLetterCount + 1);
    await t.gql('mutation { upsertJob(input: { id: "dash-job", version: "1" }) { id: rowId } }', {}, 'ADMIN');
    await t.gql('mutation { startExecution(input: { jobId: "dash-job", targetCount: 2 }) { id: rowId } }', {}, 'OPERATOR');
    await until(() => dash.values.length === 3);
    expect(dash.values[2].dashboard.jobsPending).toBe(dash.values[1].dashboard.jobsPending + 1);
    dead.stop();
    dash.stop();
  });

  it('jobLiveCounts: follows one job through pending, running and done', async () => {
    await t.gql('mutation { upsertJob(input: { id: "live-job", version: "1" }) { id: rowId } }', {}, 'ADMIN');
    const w = watch(await client(), 'subscription { jobLiveCounts(jobId: "live-job") { running pending } }');
    await until(() => w.values.length === 1);
    expect(w.values[0].jobLiveCounts).toEqual({ running: 0, pending: 0 });
    const started = await t.gql('mutation { startExecution(input: { jobId: "live-job", targetCount: 2 }) { id: rowId } }', {}, 'OPERATOR');
    const execId = started.data!.startExecution.id;
    await until(() => w.values.length === 2);
    const report = (agentId: string) =>
      t.gql('mutation($i: ExecutionResultInput!) { reportExecutionResult(input: $i) { status } }', { i: { execId, agentId, success: true } }, 'OPERATOR');
    await report('a1');
    await until(() => w.values.length === 3);
    await report('a1'); // idempotent: no change, no push
    await report('a2');
    await until(() => w.values.length === 4);
    await settle();
    expect(w.values.map((v) => v.jobLiveCounts)).toEqual([
      { running: 0, pending: 0 },
      { running: 0, pending: 1 },
      { running: 1, pending: 0 },
      { running: 0, pending: 0 },
    ]);
    w.stop();
  });
});

describe('sharing the work', () => {
  it('costs the same statements per change for 1 subscriber as for 1 000', async () => {
    async function statementsPerChange(subscribers: number) {
      const sockets = await Promise.all(Array.from({ length: Math.ceil(subscribers / 100) }, () => client()));
      const watches = Array.from({ length: subscribers }, (_, i) => watch(sockets[i % sockets.length]!, 'subscription { failureCount(since: "24h") { count } }'));
      await until(() => watches.every((w) => w.values.length === 1), 20_000);
      await settle();
      statements = 0;
      await t.sql`insert into orchestrator_events (kind, success) values ('TRAFFIC', false)`;
      await until(() => watches.every((w) => w.values.length === 2), 20_000);
      await settle();
      const used = statements;
      for (const w of watches) w.stop();
      await settle();
      return used;
    }
    const one = await statementsPerChange(1);
    const thousand = await statementsPerChange(1000);
    expect(one).toBeGreaterThan(0);
    expect(thousand).toBe(one);
  });
});

describe('authorisation on subscribe', () => {
  it('refuses a client without a token with UNAUTHENTICATED, and too low a role with FORBIDDEN, with no data', async () => {
    const anonymous = watch(await client(null), 'subscription { deadLetterCount }');
    const viewer = watch(await client('VIEWER'), 'subscription { killSignals { execId } }');
    await until(() => anonymous.errors.length === 1 && viewer.errors.length === 1);
    expect(anonymous.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(viewer.errors[0].extensions.code).toBe('FORBIDDEN');
    await settle();
    expect(anonymous.values).toEqual([]);
    expect(viewer.values).toEqual([]);
  });
});

describe('kill signals', () => {
  it('delivers exactly one signal per in-flight execution to subscribers of those executions, none for finished ones', async () => {
    await t.gql('mutation { upsertJob(input: { id: "kill-job", version: "1" }) { id: rowId } }', {}, 'ADMIN');
    const start = async () =>
      (await t.gql('mutation { startExecution(input: { jobId: "kill-job", targetCount: 1 }) { id: rowId } }', {}, 'OPERATOR')).data!.startExecution.id as string;
    const [a, b, done] = [await start(), await start(), await start()];
    await t.gql('mutation($i: ExecutionResultInput!) { reportExecutionResult(input: $i) { status } }', { i: { execId: done, agentId: 'x', success: true } }, 'OPERATOR');
    const agentA = watch(await client('OPERATOR'), 'subscription($ids: [ID!]) { killSignals(execIds: $ids) { execId jobId requestedBy } }', { ids: [a] });
    const everything = watch(await client('OPERATOR'), 'subscription { killSignals { execId } }');
    const finished = watch(await client('OPERATOR'), 'subscription($ids: [ID!]) { killSignals(execIds: $ids) { execId } }', { ids: [done] });
    await settle(500); // emits nothing at subscribe time
    expect(agentA.values).toEqual([]);
    const killed = await t.gql('mutation { killJob(id: "kill-job") { count execIds } }', {}, { token: await token('OPERATOR', 'olivia') });
    expect(killed.data!.killJob.count).toBe(2);
    await until(() => agentA.values.length === 1 && everything.values.length === 2);
    await settle(500);
    expect(agentA.values).toEqual([{ killSignals: { execId: a, jobId: 'kill-job', requestedBy: 'olivia' } }]);
    expect(everything.values.map((v) => v.killSignals.execId).sort()).toEqual([a, b].sort());
    expect(finished.values).toEqual([]);
  });
});

describe('several instances on one database', () => {
  it('pushes a change made through another server process to this one’s subscribers', async () => {
    const port = await freePort();
    const other = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: t.databaseUrl, JWT_SECRET: TEST_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) await settle(100);
      const here = watch(await client(), 'subscription { failureCount(since: "15m", kind: TRAFFIC) { count } }');
      const there = watch(await client('VIEWER', `ws://127.0.0.1:${port}/graphql`), 'subscription { failureCount(since: "15m", kind: TRAFFIC) { count } }');
      await until(() => here.values.length === 1 && there.values.length === 1);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('OPERATOR')}` },
        body: JSON.stringify({ query: 'mutation { recordOrchestratorEvent(input: { kind: TRAFFIC, success: false }) { id: rowId } }' }),
      });
      expect(res.status).toBe(200);
      await until(() => here.values.length === 2 && there.values.length === 2);
      expect(here.values[1].failureCount.count).toBe(here.values[0].failureCount.count + 1);
    } finally {
      other.kill('SIGTERM');
    }
  });

  it('recovers after its LISTEN connection is killed, delivering a change made meanwhile', async () => {
    const w = watch(await client(), 'subscription { deadLetterCount }');
    await until(() => w.values.length === 1);
    // LISTEN starts with the first subscriber: wait until there is a listener to kill.
    while ((await t.sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'opsgraph-listener' and datname = current_database()`).length === 0) {
      await settle(20);
    }
    await t.sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', 's', 'b', 'DEAD')`;
    await until(() => w.values.length === 2, 10_000);
    expect(w.values[1].deadLetterCount).toBe(w.values[0].deadLetterCount + 1);
  });
});

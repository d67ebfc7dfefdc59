import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { createTestDatabase, TEST_SECRET, token, useTestApp } from './helpers.js';
import { wsClient, wsOnce } from './ws-client.js';

const t = useTestApp();

describe('/metrics', () => {
  it('exposes request, error, connection, subscription, pool and domain metrics', async () => {
    await t.gql('query Badge { dashboard { deadLetterCount } }', {}, 'VIEWER');
    await t.gql('mutation { rebalanceScanStats { total } }', {}, 'ADMIN'); // FORBIDDEN
    const client = wsClient(t.wsUrl, await token('VIEWER'));
    const stop = client.subscribe({ query: 'subscription { deadLetterCount }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await new Promise((r) => setTimeout(r, 300));
    const text = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    stop();
    await client.dispose();
    expect(text).toMatch(/opsgraph_graphql_request_duration_seconds_count\{operation="Badge",type="query"\} [1-9]/);
    expect(text).toMatch(/opsgraph_graphql_errors_total\{code="FORBIDDEN"\} [1-9]/);
    expect(text).toMatch(/opsgraph_ws_connections [1-9]/);
    expect(text).toMatch(/opsgraph_live_subscriptions\{badge="deadLetterCount"\} [1-9]/);
    expect(text).toMatch(/opsgraph_live_recomputes_total\{badge="deadLetterCount"\} [1-9]/);
    expect(text).toMatch(/opsgraph_db_connections\{state="(idle|active)"\} [1-9]/);
    expect(text).toContain('opsgraph_listen_reconnects_total');
    expect(text).toContain('opsgraph_executions_reaped_total');
    expect(text).toMatch(/opsgraph_notifications\{status=/);
  });

  it('counts the errors of live badges over graphql-ws (the fan-out path) like any other', async () => {
    const badInput = async () => {
      const text = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
      return Number(/opsgraph_graphql_errors_total\{code="BAD_USER_INPUT"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await badInput();
    const client = wsClient(t.wsUrl, await token('VIEWER'));
    // A well-formed document that the badge's own argument check refuses.
    const refused = await wsOnce(client, 'subscription { failureCount(since: "0m") { count } }');
    await client.dispose();
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await badInput()).toBe(before + 1);
  });
});

describe('logs', () => {
  // LOG_SYNC=off: pino's buffered asynchronous destination instead of one write per line.
  it.each(['on', 'off'])('writes JSON lines with a request id, the operation and its duration, and an audit line per mutation (LOG_SYNC=%s)', async (logSync) => {
    const db = await createTestDatabase();
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_SYNC: logSync, NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: any[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line));
      } catch {
        // the dev-mode banner is not JSON; there is none here
      }
    });
    try {
      while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 100));
      await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-42', authorization: `Bearer ${await token('OPERATOR', 'olga')}` },
        body: JSON.stringify({ query: 'mutation Scan { recordScan(input: { scanType: "lunch", subjectId: "a" }) { id } }' }),
      });
      // One live badge (served by the fan-out) and one other subscription (served by yoga): one line each.
      const client = wsClient(`ws://127.0.0.1:${port}/graphql`, await token('OPERATOR', 'olga'));
      const sink = { next: () => {}, error: () => {}, complete: () => {} };
      const stops = [
        client.subscribe({ query: 'subscription Dead { deadLetterCount }' }, sink),
        client.subscribe({ query: 'subscription Kills { killSignals { id } }' }, sink),
      ];
      await new Promise((r) => setTimeout(r, 300));
      for (const stop of stops) stop();
      await client.dispose();
      const started = lines.filter((l) => l.msg === 'graphql subscription started');
      expect(started.map((l) => l.operation).sort()).toEqual(['Dead', 'Kills']);
      expect(started.find((l) => l.operation === 'Dead')).toMatchObject({ type: 'subscription', badge: 'deadLetterCount' });
      expect(started.find((l) => l.operation === 'Kills')).toMatchObject({ type: 'subscription' });
      const op = lines.find((l) => l.msg === 'graphql operation' && l.operation === 'Scan');
      expect(op).toMatchObject({ reqId: 'req-42', type: 'mutation', level: 30 });
      expect(typeof op.ms).toBe('number');
      expect(lines.find((l) => l.msg === 'audit' && l.operation === 'Scan')).toMatchObject({ reqId: 'req-42', actor: 'olga', audit: true });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await db.drop();
    }
  });
});

// The dashboard subscription's failureCount ages out on its own window, like
// the top-level badge: with a 2 s window and no writes at all, a failure is
// pushed in, then pushed out when it leaves the window.
import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { settle, token, until, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

async function watch(query: string, variables?: Record<string, unknown>) {
  const client = wsClient(t.wsUrl, await token('VIEWER'));
  clients.push(client);
  const values: any[] = [];
  const errors: any[] = [];
  client.subscribe({ query, variables }, {
    next: (value) => (value.errors ? errors.push(...value.errors) : values.push(value.data)),
    error: (error) => errors.push(error),
    complete: () => {},
  });
  return { values, errors };
}

describe('dashboard { failureCount(since:) } ages out', () => {
  it('a 2 s window drops the failure when it leaves, with no writes; other windows of the same dashboard keep it', async () => {
    const w = await watch(`subscription($w: String!) {
      dashboard {
        short: failureCount(since: $w) { count since }
        ...Longer
        deadLetterCount
      }
    }
    fragment Longer on Dashboard { traffic: failureCount(since: "15m", kind: TRAFFIC) { count } failureCount { count } }`, { w: '2s' });
    await until(() => w.values.length === 1);
    expect(w.errors).toEqual([]);
    expect(w.values[0].dashboard).toMatchObject({ short: { count: 0, since: '2s' }, traffic: { count: 0 }, failureCount: { count: 0 } });

    await t.sql`insert into orchestrator_events (kind, success) values ('TRAFFIC', false)`;
    const counts = (v: any) => [v.dashboard.short.count, v.dashboard.traffic.count, v.dashboard.failureCount.count].join();
    await until(() => w.values.some((v) => counts(v) === '1,1,1'));
    const pushedIn = w.values.findIndex((v) => counts(v) === '1,1,1');

    // No writes from here on: the 2 s window alone moves, about 2 s after the failure.
    await until(() => w.values.length > pushedIn + 1, 6_000);
    expect(counts(w.values[pushedIn + 1])).toBe('0,1,1');
    await settle(500);
    expect(w.values).toHaveLength(pushedIn + 2);
  });

  it('refuses a bad window at subscribe time with BAD_USER_INPUT', async () => {
    const w = await watch('subscription { dashboard { failureCount(since: "8d") { count } } }');
    await until(() => w.errors.length > 0 || w.values.length > 0);
    expect(w.values).toEqual([]);
    const error = Array.isArray(w.errors[0]) ? w.errors[0][0] : w.errors[0];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

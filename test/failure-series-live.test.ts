// Subscription.failureSeries: the live series moves when a failure is
// recorded and when its window slides (a 2 s window with 1 s steps, the clock
// the failure-window tests use: real time, short windows), over graphql-ws and
// SSE, on the instance that computes the badges and on one that follows it
// (the cluster's leader path), with the ids the query gives.
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { settle, token, until, useSecondInstance, useTestApp, type TestServer } from './helpers.js';
import { wsClient } from './ws-client.js';

const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const follower = useSecondInstance(t, { LIVE_COALESCE_INTERVAL: '20ms' });
const clients: { dispose(): unknown }[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

const SERIES = `subscription($since: String!, $step: String!, $kind: OrchestratorKind) {
  failureSeries(since: $since, step: $step, kind: $kind) { id since step kind total asOf from points { at count traffic file email } }
}`;

interface Watched {
  values: any[];
  errors: any[];
}

async function overWs(server: TestServer, variables: Record<string, unknown>, role: 'VIEWER' | null = 'VIEWER', query = SERIES): Promise<Watched> {
  const client: Client = wsClient(server.wsUrl, role ? await token(role) : null);
  clients.push(client);
  const w: Watched = { values: [], errors: [] };
  client.subscribe({ query, variables }, {
    next: (value) => (value.errors ? w.errors.push(...value.errors) : w.values.push(value.data)),
    error: (error) => w.errors.push(...(Array.isArray(error) ? error : [error])),
    complete: () => {},
  });
  return w;
}

async function overSse(server: TestServer, variables: Record<string, unknown>, role: 'VIEWER' | null = 'VIEWER', query = SERIES): Promise<Watched> {
  const bearer = role ? await token(role) : null;
  const client: SseClient = createSseClient({ url: server.url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, retryAttempts: 0 });
  clients.push(client);
  const w: Watched = { values: [], errors: [] };
  client.subscribe({ query, variables }, {
    next: (value) => (value.errors ? w.errors.push(...value.errors) : w.values.push(value.data)),
    error: (error) => w.errors.push(...(Array.isArray(error) ? error : [error])),
    complete: () => {},
  });
  return w;
}

const recordFailure = async (kind: string) =>
  expect((await t.gql(`mutation { recordOrchestratorEvent(input: { kind: ${kind}, success: false }) { id } }`, {}, 'OPERATOR')).errors).toBeUndefined();

const series = (w: Watched) => w.values.map((v) => v.failureSeries);
const lastOf = (w: Watched) => series(w).at(-1);

describe('Subscription.failureSeries', () => {
  it('pushes when a failure is recorded, over graphql-ws and SSE, on the leader and a follower, with the query\'s id', async () => {
    const vars = { since: '1h', step: '1h', kind: 'TRAFFIC' };
    const watchers = [await overWs(t, vars), await overSse(t, vars), await overWs(follower, vars), await overSse(follower, vars)];
    await until(() => watchers.every((w) => w.values.length >= 1), 10_000);
    for (const w of watchers) expect(w.errors).toEqual([]);
    const base = lastOf(watchers[0]!).total as number;
    const query = await t.gql(`{ failureSeries(since: "60m", step: "3600s", kind: TRAFFIC) { id total } }`, {}, 'VIEWER');
    expect(query.data!.failureSeries).toEqual({ id: '1h/1h:TRAFFIC', total: base });
    for (const w of watchers) expect(lastOf(w)).toMatchObject({ id: '1h/1h:TRAFFIC', since: '1h', step: '1h', kind: 'TRAFFIC', total: base });

    await recordFailure('TRAFFIC');
    await until(() => watchers.every((w) => lastOf(w).total === base + 1), 10_000);
    for (const w of watchers) {
      const now = lastOf(w);
      expect(now.points.at(-1)).toMatchObject({ traffic: expect.any(Number), file: 0, email: 0 });
      expect(now.points.reduce((sum: number, p: any) => sum + p.count, 0)).toBe(base + 1);
    }
    // Another kind's failure is not this series' news: the next push it gets is again TRAFFIC's.
    await recordFailure('EMAIL');
    await recordFailure('TRAFFIC');
    await until(() => watchers.every((w) => lastOf(w).total === base + 2), 10_000);
    for (const w of watchers) expect(series(w).map((s) => s.total)).not.toContain(base + 3);
  });

  it('moves as its window slides, with no writes: a new step at its end, and a failure leaving', async () => {
    const vars = { since: '2s', step: '1s' };
    const ws = await overWs(t, vars);
    const sse = await overSse(follower, vars);
    // The previous test's failures leave the 2 s window first.
    await until(() => lastOf(ws)?.total === 0 && lastOf(sse)?.total === 0, 10_000);
    const [wsFrom, sseFrom] = [ws.values.length, sse.values.length];
    await recordFailure('FILE');
    const inAfter = (w: Watched, from: number) => series(w).findIndex((s, i) => i >= from && s.total === 1);
    await until(() => inAfter(ws, wsFrom) >= 0 && inAfter(sse, sseFrom) >= 0, 10_000);
    const pushedIn = inAfter(ws, wsFrom);
    const sseIn = inAfter(sse, sseFrom);
    // No writes from here on: the failure leaves the 2 s window about 2 s after it was recorded.
    await until(() => series(ws).slice(pushedIn).some((s) => s.total === 0) && series(sse).slice(sseIn).some((s) => s.total === 0), 8_000);
    const after = series(ws).slice(pushedIn);
    // Each push is a later grid: the last point's start never goes back, and it moved while the failure was in.
    const ends = after.map((s) => Date.parse(s.points.at(-1).at));
    expect(ends.every((at, i) => i === 0 || at >= ends[i - 1]!)).toBe(true);
    expect(new Set(ends).size).toBeGreaterThan(1);
    for (const s of after) {
      expect(s.points.length).toBeGreaterThanOrEqual(2);
      expect(s.points.length).toBeLessThanOrEqual(3);
      expect(s.points.reduce((sum: number, p: any) => sum + p.count, 0)).toBe(s.total);
      expect(Date.parse(s.from)).toBe(Date.parse(s.asOf) - 2000);
      expect(Date.parse(s.points[0].at)).toBe(Math.floor(Date.parse(s.from) / 1000) * 1000);
    }
    // And it keeps sliding with nothing written at all.
    const count = ws.values.length;
    await settle(1_500);
    expect(ws.values.length).toBeGreaterThan(count);
  });

  it('refuses a bad step at subscribe time with BAD_USER_INPUT, over both transports', async () => {
    for (const watch of [overWs, overSse]) {
      const w = await watch(t, { since: '7d', step: '1m' });
      await until(() => w.errors.length > 0 || w.values.length > 0);
      expect(w.values).toEqual([]);
      expect(w.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(w.errors[0].message).toMatch(/step must be at least 7m/);
    }
  });

  it('refuses a subscriber without a token with UNAUTHENTICATED and no data, over both transports', async () => {
    for (const watch of [overWs, overSse]) {
      const w = await watch(t, { since: '1h', step: '1m' }, null);
      await until(() => w.errors.length > 0 || w.values.length > 0);
      await settle(200);
      expect(w.values).toEqual([]);
      expect(w.errors[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

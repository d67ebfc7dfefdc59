import { print } from 'graphql';
import { createClient, type Client } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardLiveDocument, FailuresDocument, FailuresLiveDocument } from '../../examples/gql/graphql.js';
import { globalId } from '../../src/global-ids.js';
import { token, useTestApp } from '../helpers.js';

// graphql-sse 2 on its defaults (distinct connections: one text/event-stream
// response per subscription) against yoga's SSE endpoint, with the typed
// documents and colocated fragments of examples/badges.graphql.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const clients: Client[] = [];
let viewer: Client;

function sseClient(bearer: string | null): Client {
  const client = createClient({ url: t.url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, retryAttempts: 0 });
  clients.push(client);
  return client;
}
beforeAll(async () => {
  viewer = sseClient(await token('VIEWER'));
});
afterAll(() => clients.forEach((client) => client.dispose()));

const recordFailure = async () =>
  expect((await t.gql('mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }', {}, 'OPERATOR')).errors).toBeUndefined();

describe('graphql-sse against the SSE endpoint', () => {
  it('streams the failure badge: its current value, then each change, with the id its query gives', async () => {
    const query = await t.gql(print(FailuresDocument), { since: '15m', kind: 'FILE' }, 'VIEWER');
    const badge = viewer.iterate({ query: print(FailuresLiveDocument), variables: { since: '15m', kind: 'FILE' } });
    const first = await badge.next();
    expect(first.value).toEqual({ data: { failureCount: { ...query.data!.failureCount, asOf: expect.any(String) } } });
    expect(first.value.data.failureCount).toMatchObject({ id: globalId('FailureCount', '15m:FILE'), since: '15m', kind: 'FILE', count: 0 });
    await recordFailure();
    const second = await badge.next();
    expect(second.value.data.failureCount).toMatchObject({ id: globalId('FailureCount', '15m:FILE'), count: 1 });
    await badge.return?.();
  });

  it('streams the dashboard with its nested badges identified', async () => {
    const dashboard = viewer.iterate({ query: print(DashboardLiveDocument) });
    const { value } = await dashboard.next();
    expect(value.data.dashboard).toMatchObject({
      id: globalId('Dashboard', 'dashboard'),
      failureCount: { id: globalId('FailureCount', '1h') },
      scanStats: { id: globalId('ScanStats', 'scanStats') },
    });
    await dashboard.return?.();
  });

  it('delivers a refusal with its code: a bad window, and no token', async () => {
    const bad = viewer.iterate({ query: print(FailuresLiveDocument), variables: { since: '8d' } });
    const refused = (await bad.next()).value;
    expect(refused.data).toBeUndefined();
    expect(refused.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    await bad.return?.();

    const anonymous = sseClient(null).iterate({ query: print(FailuresLiveDocument), variables: { since: '1h' } });
    const unauthenticated = (await anonymous.next()).value;
    expect(unauthenticated.data).toBeUndefined();
    expect(unauthenticated.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    await anonymous.return?.();
  });
});

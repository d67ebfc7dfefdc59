import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import WebSocket from 'ws';
import { DashboardDocument, DashboardLiveDocument, FailuresDocument, FailuresLiveDocument, JobLiveDocument, JobsDocument } from '../../examples/gql/graphql.js';
import { gql } from '@urql/core';
import { createUrqlClient } from '../../examples/urql.js';
import { globalId } from '../../src/global-ids.js';
import { token, useTestApp } from '../helpers.js';
import { COLLISIONS, misreadings, seedCollisions, type CollisionData, type CollisionTruth } from './collisions.js';

// urql 6 as a frontend runs it, on the real server: Graphcache (normalised by
// __typename and id) and the subscription exchange over graphql-ws, with the
// colocated fragments of examples/badges.graphql. No updaters: every update of a
// watched query comes from a subscription's push landing on the cached object.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const WAIT = { timeout: 10_000, interval: 20 };
let urql: ReturnType<typeof createUrqlClient>;

beforeAll(async () => {
  // urql on its defaults: queries go as GET (urql-defaults.test.ts asserts the method).
  urql = createUrqlClient({ url: t.url, token: await token('VIEWER') }, WebSocket);
});
afterAll(() => urql?.close());
// Before any other test writes executions or notifications: the fixture needs their rowIds to be 1.
let truth: CollisionTruth;
beforeAll(async () => {
  truth = await seedCollisions(t);
});

const operator = async (mutation: string) => expect((await t.gql(mutation, {}, 'OPERATOR')).errors).toBeUndefined();
const recordFailure = () => operator('mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }');

type Source = { subscribe(next: (result: { data?: unknown; error?: unknown }) => void): { unsubscribe(): void } };

/** Every result a source emits, and its errors. */
function watch<T>(source: Source) {
  const values: T[] = [];
  const errors: unknown[] = [];
  const subscription = source.subscribe((result) => {
    if (result.error) errors.push(result.error);
    else if (result.data) values.push(result.data as T);
  });
  return { values, errors, stop: () => subscription.unsubscribe() };
}

/** Starts a subscription and waits for its first push (it is then live on the server). */
async function live(source: Source) {
  const sub = watch(source);
  await vi.waitFor(() => expect(sub.values.length + sub.errors.length).toBeGreaterThan(0), WAIT);
  expect(sub.errors).toEqual([]);
  return sub;
}

describe('urql with Graphcache and the subscription exchange', () => {
  it('takes the generated documents as they are, typing their results (tsc checks this file)', async () => {
    const { data, error } = await urql.client.query(FailuresDocument, { since: '15m', kind: 'EMAIL' }).toPromise();
    expect(error).toBeUndefined();
    expectTypeOf(data!.failureCount.count).toEqualTypeOf<number>();
    expect(data!.failureCount).toMatchObject({ id: globalId('FailureCount', '15m:EMAIL'), since: '15m', kind: 'EMAIL', count: 0 });
  });

  it('a failureCount push updates the watched query of the same badge (60m and 1h are one badge)', async () => {
    const query = watch<{ failureCount: { id: string; count: number } }>(urql.client.query(FailuresDocument, { since: '1h' }));
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const before = query.values.at(-1)!.failureCount.count;
    const sub = await live(urql.client.subscription(FailuresLiveDocument, { since: '60m' }));

    await recordFailure();
    await vi.waitFor(() => expect(query.values.at(-1)!.failureCount.count).toBe(before + 1), WAIT);
    expect(query.values.at(-1)!.failureCount.id).toBe(globalId('FailureCount', '1h'));
    expect(query.errors).toEqual([]);
    sub.stop();
    query.stop();
  });

  it('a jobLiveCounts push updates that job in the watched job list', async () => {
    expect((await t.gql('mutation { upsertJob(input: { id: "urql.job", version: "1" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    const query = watch<{ jobs: { id: string; live: { pending: number } }[] }>(urql.client.query(JobsDocument, {}));
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const pendingOf = () => query.values.at(-1)!.jobs.find((job) => job.id === globalId('Job', 'urql.job'))!.live.pending;
    expect(pendingOf()).toBe(0);
    const sub = await live(urql.client.subscription(JobLiveDocument, { jobId: 'urql.job' }));

    await operator('mutation { startExecution(input: { jobId: "urql.job", targetCount: 1 }) { id } }');
    await vi.waitFor(() => expect(pendingOf()).toBe(1), WAIT);
    sub.stop();
    query.stop();
  });

  it('a dashboard push updates the watched dashboard query, and the failure badge it shares', async () => {
    const dashboard = watch<{ dashboard: { scanStats: { total: number }; failureCount: { count: number } } }>(urql.client.query(DashboardDocument, {}));
    const badge = watch<{ failureCount: { count: number } }>(urql.client.query(FailuresDocument, { since: '1h' }));
    await vi.waitFor(() => expect(dashboard.values.length && badge.values.length).toBeGreaterThan(0), WAIT);
    const { scanStats, failureCount } = dashboard.values.at(-1)!.dashboard;
    const sub = await live(urql.client.subscription(DashboardLiveDocument, {}));

    await operator('mutation { recordScan(input: { scanType: "urql", subjectId: "s" }) { id } }');
    await vi.waitFor(() => expect(dashboard.values.at(-1)!.dashboard.scanStats.total).toBe(scanStats.total + 1), WAIT);
    await recordFailure();
    await vi.waitFor(() => expect(dashboard.values.at(-1)!.dashboard.failureCount.count).toBe(failureCount.count + 1), WAIT);
    await vi.waitFor(() => expect(badge.values.at(-1)!.failureCount.count).toBe(failureCount.count + 1), WAIT);
    sub.stop();
    dashboard.stop();
    badge.stop();
  });
  it('keeps job "1", its live counts, schedule "1", notification 1 and execution 1 apart (test/clients/collisions.ts)', async () => {
    const query = gql(COLLISIONS);
    const variables = { notification: truth.notification.rowId };
    const first = await urql.client.query<CollisionData>(query, variables).toPromise();
    expect(first.error).toBeUndefined();
    // Again from the cache only: what Graphcache reads back, not what the network answered.
    const cached = await urql.client.query<CollisionData>(query, variables, { requestPolicy: 'cache-only' }).toPromise();
    expect(cached.operation.context.meta?.cacheOutcome).toBe('hit');
    expect(misreadings(cached.data!, truth)).toEqual([]);
  });

  it('a node(id:) read updates the Job the watched job list cached', async () => {
    expect((await t.gql('mutation { upsertJob(input: { id: "urql.node", version: "1" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    // network-only: the list an earlier test cached has no such job yet.
    const list = watch<{ jobs: { id: string; version: string }[] }>(urql.client.query(JobsDocument, {}, { requestPolicy: 'network-only' }));
    const id = globalId('Job', 'urql.node');
    const versionOf = () => list.values.at(-1)?.jobs.find((job) => job.id === id)?.version;
    await vi.waitFor(() => expect(versionOf()).toBe('1'), WAIT);
    expect((await t.gql('mutation { upsertJob(input: { id: "urql.node", version: "2" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    const read = await urql.client.query(gql('query JobNode($id: ID!) { node(id: $id) { id ... on Job { version } } }'), { id }, { requestPolicy: 'network-only' }).toPromise();
    expect(read.error).toBeUndefined();
    await vi.waitFor(() => expect(versionOf()).toBe('2'), WAIT);
    list.stop();
  });
});

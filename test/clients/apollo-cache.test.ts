import { gql } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createApolloClient } from '../../examples/apollo.js';
import { DashboardDocument, DashboardLiveDocument, FailuresDocument, FailuresLiveDocument, JobLiveDocument, JobsDocument } from '../../examples/gql/graphql.js';
import { globalId } from '../../src/global-ids.js';
import { token, useTestApp } from '../helpers.js';
import { COLLISIONS, misreadings, seedCollisions, type CollisionData, type CollisionTruth } from './collisions.js';
import { live, watch } from './apollo-observe.js';

// Apollo Client 4 as a frontend runs it (without React: watchQuery is what useQuery
// subscribes to), on the real server: HttpLink and GraphQLWsLink split by operation
// type, one InMemoryCache, the colocated fragments of examples/badges.graphql.
// No test writes to the cache: every update of a watched query comes from a
// subscription's push landing on the object of the same type and id.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const WAIT = { timeout: 10_000, interval: 20 };
let apollo: ReturnType<typeof createApolloClient>;

beforeAll(async () => {
  apollo = createApolloClient({ url: t.url, token: await token('VIEWER') }, WebSocket);
});
afterAll(() => apollo?.close());
// Before any other test writes executions or notifications: the fixture needs their rowIds to be 1.
let truth: CollisionTruth;
beforeAll(async () => {
  truth = await seedCollisions(t);
});

const operator = async (mutation: string) => expect((await t.gql(mutation, {}, 'OPERATOR')).errors).toBeUndefined();
const recordFailure = () => operator('mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }');



describe('Apollo Client 4 with InMemoryCache', () => {
  it('takes the generated documents as they are, typing their results (tsc checks this file)', async () => {
    const { data } = await apollo.client.query({ query: FailuresDocument, variables: { since: '15m', kind: 'EMAIL' } });
    expectTypeOf(data!.failureCount.count).toEqualTypeOf<number>();
    expect(data!.failureCount).toMatchObject({ id: globalId('FailureCount', '15m:EMAIL'), since: '15m', kind: 'EMAIL', count: 0 });
  });

  it('a failureCount push updates the watched query of the same badge (60m and 1h are one badge)', async () => {
    const query = watch<{ failureCount: { id: string; count: number } }>(
      apollo.client.watchQuery({ query: FailuresDocument, variables: { since: '1h' } }),
    );
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const before = query.values.at(-1)!.failureCount.count;
    const sub = await live(() => apollo.client.subscribe({ query: FailuresLiveDocument, variables: { since: '60m' } }));

    await recordFailure();
    await vi.waitFor(() => expect(query.values.at(-1)!.failureCount.count).toBe(before + 1), WAIT);
    expect(query.values.at(-1)!.failureCount.id).toBe(globalId('FailureCount', '1h'));
    // One object for the badge in the cache, which the query and the subscription share.
    const cached = apollo.client.cache.extract() as Record<string, { count?: number }>;
    const [key, other] = ['1h', '60m'].map((window) => `FailureCount:${globalId('FailureCount', window)}`);
    expect(Object.keys(cached).filter((k) => k === key || k === other)).toEqual([key]);
    expect(cached[key!]!.count).toBe(before + 1);
    sub.stop();
    query.stop();
  });

  it('a jobLiveCounts push updates that job in the watched job list', async () => {
    expect((await t.gql('mutation { upsertJob(input: { id: "apollo.job", version: "1" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    const query = watch<{ jobs: { id: string; live: { pending: number } }[] }>(apollo.client.watchQuery({ query: JobsDocument }));
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const pendingOf = () => query.values.at(-1)!.jobs.find((job) => job.id === globalId('Job', 'apollo.job'))!.live.pending;
    expect(pendingOf()).toBe(0);
    const sub = await live(() => apollo.client.subscribe({ query: JobLiveDocument, variables: { jobId: 'apollo.job' } }));

    await operator('mutation { startExecution(input: { jobId: "apollo.job", targetCount: 1 }) { id } }');
    await vi.waitFor(() => expect(pendingOf()).toBe(1), WAIT);
    sub.stop();
    query.stop();
  });

  it('a dashboard push updates the watched dashboard query, and the failure badge it shares', async () => {
    const dashboard = watch<{ dashboard: { scanStats: { total: number }; failureCount: { count: number } } }>(
      apollo.client.watchQuery({ query: DashboardDocument }),
    );
    const badge = watch<{ failureCount: { count: number } }>(apollo.client.watchQuery({ query: FailuresDocument, variables: { since: '1h' } }));
    // Either may emit twice here: they share the 1h badge's object, and the later response refreshes its asOf.
    await vi.waitFor(() => expect(dashboard.values.length && badge.values.length).toBeGreaterThan(0), WAIT);
    const { scanStats, failureCount } = dashboard.values.at(-1)!.dashboard;
    const sub = await live(() => apollo.client.subscribe({ query: DashboardLiveDocument }));

    await operator('mutation { recordScan(input: { scanType: "apollo", subjectId: "s" }) { id } }');
    await vi.waitFor(() => expect(dashboard.values.at(-1)!.dashboard.scanStats.total).toBe(scanStats.total + 1), WAIT);
    await recordFailure();
    await vi.waitFor(() => expect(dashboard.values.at(-1)!.dashboard.failureCount.count).toBe(failureCount.count + 1), WAIT);
    // The dashboard's failureCount is the top-level 1h badge: that watched query moved with it.
    await vi.waitFor(() => expect(badge.values.at(-1)!.failureCount.count).toBe(failureCount.count + 1), WAIT);
    sub.stop();
    dashboard.stop();
    badge.stop();
  });
  it('keeps job "1", its live counts, schedule "1", notification 1 and execution 1 apart (test/clients/collisions.ts)', async () => {
    const query = gql(COLLISIONS);
    const variables = { notification: truth.notification.rowId };
    await apollo.client.query({ query, variables });
    // What the cache reads back, not what the network answered.
    const cached = apollo.client.readQuery<CollisionData>({ query, variables })!;
    expect(misreadings(cached, truth)).toEqual([]);
    const keys = Object.keys(apollo.client.cache.extract() as object);
    for (const [type, rowId] of [['Job', '1'], ['JobLiveCounts', '1'], ['Notification', '1'], ['Execution', '1'], ['Schedule', '1']] as const) {
      expect(keys).toContain(`${type}:${globalId(type, rowId)}`);
    }
  });

  it('a node(id:) read updates the Job the watched job list cached', async () => {
    expect((await t.gql('mutation { upsertJob(input: { id: "apollo.node", version: "1" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    // network-only: the list an earlier test cached has no such job yet.
    const list = watch<{ jobs: { id: string; version: string }[] }>(apollo.client.watchQuery({ query: JobsDocument, fetchPolicy: 'network-only' }));
    const id = globalId('Job', 'apollo.node');
    const versionOf = () => list.values.at(-1)?.jobs.find((job) => job.id === id)?.version;
    await vi.waitFor(() => expect(versionOf()).toBe('1'), WAIT);
    expect((await t.gql('mutation { upsertJob(input: { id: "apollo.node", version: "2" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    await apollo.client.query({ query: gql('query JobNode($id: ID!) { node(id: $id) { id ... on Job { version } } }'), variables: { id }, fetchPolicy: 'network-only' });
    await vi.waitFor(() => expect(versionOf()).toBe('2'), WAIT);
    list.stop();
  });
});

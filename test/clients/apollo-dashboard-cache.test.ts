import { gql } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createApolloClient } from '../../examples/apollo.js';
import { globalId } from '../../src/global-ids.js';
import { token, useTestApp } from '../helpers.js';
import { live, watch } from './apollo-observe.js';

// Issue 30's API through Apollo Client 4's InMemoryCache, as the page's
// queries and subscriptions would run there: a failureSeries push lands on the
// series the query cached (the same id whatever the spelling of the window),
// and a jobListLiveCounts push, whose `changed` entries are JobLiveCounts with
// the job's id, moves that job's counts inside a cached job list. No test
// writes to the cache.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const WAIT = { timeout: 10_000, interval: 20 };
let apollo: ReturnType<typeof createApolloClient>;

beforeAll(async () => {
  apollo = createApolloClient({ url: t.url, token: await token('VIEWER') }, WebSocket);
});
afterAll(() => apollo?.close());

const operator = async (mutation: string) => expect((await t.gql(mutation, {}, 'OPERATOR')).errors).toBeUndefined();

const SERIES = gql`
  query Series($since: String!, $step: String!) {
    failureSeries(since: $since, step: $step) { id total points { at count traffic file email } }
  }
`;
const SERIES_LIVE = gql`
  subscription SeriesLive($since: String!, $step: String!) {
    failureSeries(since: $since, step: $step) { id total points { at count traffic file email } }
  }
`;
const JOBS = gql`
  query Jobs { jobs { id live { id running pending } } }
`;
const JOB_LIST_LIVE = gql`
  subscription JobListLive { jobListLiveCounts { complete changed { id running pending } removed } }
`;



describe('Apollo Client 4 with the dashboard API', () => {
  it('a failureSeries push updates the watched query of the same series (60m/60s and 1h/1m are one)', async () => {
    const query = watch<{ failureSeries: { id: string; total: number } }>(
      apollo.client.watchQuery({ query: SERIES, variables: { since: '60m', step: '60s' } }),
    );
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const before = query.values.at(-1)!.failureSeries.total;
    const sub = await live(() => apollo.client.subscribe({ query: SERIES_LIVE, variables: { since: '1h', step: '1m' } }));

    await operator('mutation { recordOrchestratorEvent(input: { kind: EMAIL, success: false }) { id } }');
    await vi.waitFor(() => expect(query.values.at(-1)!.failureSeries.total).toBe(before + 1), WAIT);
    const cached = apollo.client.cache.extract() as Record<string, { total?: number }>;
    const key = `FailureSeries:${globalId('FailureSeries', '1h/1m')}`;
    expect(Object.keys(cached).filter((k) => k.startsWith('FailureSeries:'))).toEqual([key]);
    expect(cached[key]!.total).toBe(before + 1);
    sub.stop();
    query.stop();
  });

  it('a jobListLiveCounts push moves that job\'s counts inside the watched job list', async () => {
    for (const id of ['apollo.a', 'apollo.b']) {
      expect((await t.gql(`mutation { upsertJob(input: { id: "${id}", version: "1" }) { id } }`, {}, 'ADMIN')).errors).toBeUndefined();
    }
    const query = watch<{ jobs: { id: string; live: { running: number; pending: number } }[] }>(apollo.client.watchQuery({ query: JOBS }));
    await vi.waitFor(() => expect(query.values.length).toBeGreaterThan(0), WAIT);
    const pendingOf = (id: string) => query.values.at(-1)!.jobs.find((job) => job.id === globalId('Job', id))!.live.pending;
    expect([pendingOf('apollo.a'), pendingOf('apollo.b')]).toEqual([0, 0]);
    const sub = await live(() => apollo.client.subscribe({ query: JOB_LIST_LIVE }));
    expect(sub.pushes[0].jobListLiveCounts.complete).toBe(true);

    await operator('mutation { startExecution(input: { jobId: "apollo.b", targetCount: 1 }) { id } }');
    await vi.waitFor(() => expect(pendingOf('apollo.b')).toBe(1), WAIT);
    expect(pendingOf('apollo.a')).toBe(0);
    expect(sub.pushes.at(-1).jobListLiveCounts).toEqual({
      __typename: 'JobListLiveCounts',
      complete: false,
      changed: [{ __typename: 'JobLiveCounts', id: globalId('JobLiveCounts', 'apollo.b'), running: 0, pending: 1 }],
      removed: [],
    });
    sub.stop();
    query.stop();
  });
});

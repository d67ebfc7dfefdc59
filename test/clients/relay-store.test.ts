import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from 'graphql-ws';
import {
  Environment,
  fetchQuery,
  getSelector,
  Network,
  Observable,
  RecordSource,
  Store,
  createOperationDescriptor,
  requestSubscription,
  type FetchFunction,
  type GraphQLResponse,
  type OperationType,
  type SubscribeFunction,
  type ConcreteRequest,
} from 'relay-runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { globalId } from '../../src/global-ids.js';
import { token, useTestApp } from '../helpers.js';
import { wsClient } from '../ws-client.js';
import { misreadings, seedCollisions, type CollisionData, type CollisionTruth } from './collisions.js';
import BadgeRefetch from './relay/__generated__/relayStoreBadgeRefetchQuery.graphql.js';
import Badges, { type relayStoreBadgesQuery } from './relay/__generated__/relayStoreBadgesQuery.graphql.js';
import Collisions, { type relayStoreCollisionsQuery } from './relay/__generated__/relayStoreCollisionsQuery.graphql.js';
import Failures from './relay/__generated__/relayStoreFailuresSubscription.graphql.js';
import JobRefetch from './relay/__generated__/relayStoreJobRefetchQuery.graphql.js';
import Jobs, { type relayStoreJobsQuery } from './relay/__generated__/relayStoreJobsQuery.graphql.js';
import BadgeFragment, { type relayStore_badge$data } from './relay/__generated__/relayStore_badge.graphql.js';
import JobFragment, { type relayStore_job$data } from './relay/__generated__/relayStore_job.graphql.js';

// relay-runtime as a Relay app runs it (without React: useLazyLoadQuery,
// useRefetchableFragment and useSubscription are these calls), on the real
// server, with the default getDataID: every record keyed by `id` alone. The
// operations are relay-compiler's own output for relay/relayStore.ts.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const WAIT = { timeout: 10_000, interval: 20 };
const RELAY_DIR = fileURLToPath(new URL('./relay/', import.meta.url));
const sockets: Client[] = [];
let bearer = '';
let truth: CollisionTruth;

beforeAll(async () => {
  bearer = await token('VIEWER');
  truth = await seedCollisions(t);
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
});

/**
 * What a server on the old ids answered: every `id` was what `rowId` is now
 * (the shape this server gave before ids became global; the queries select rowId
 * wherever they select id).
 */
function withOldIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withOldIds);
  if (value === null || typeof value !== 'object') return value;
  const object = Object.fromEntries(Object.entries(value).map(([key, field]) => [key, withOldIds(field)]));
  if ('rowId' in object && 'id' in object) object.id = object.rowId;
  return object;
}

/** A Relay environment on its defaults, its network on this server: HTTP for queries, graphql-ws for subscriptions. */
function relayEnvironment(shape: (response: unknown) => unknown = (response) => response) {
  const fetchFn: FetchFunction = async (params, variables) => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: params.text, variables, operationName: params.name }),
    });
    return shape(await res.json()) as GraphQLResponse;
  };
  const socket = wsClient(t.wsUrl, bearer);
  sockets.push(socket);
  const subscribeFn: SubscribeFunction = (params, variables) =>
    Observable.create<GraphQLResponse>((sink) =>
      socket.subscribe(
        { query: params.text!, variables, operationName: params.name },
        { next: (value) => sink.next(shape(value) as GraphQLResponse), error: (error) => sink.error(error as Error), complete: () => sink.complete() },
      ),
    );
  return new Environment({ network: Network.create(fetchFn, subscribeFn), store: new Store(new RecordSource()) });
}

/** What Relay's normaliser warned about (it warns through console.error) while `run` ran. */
async function relayWarnings(run: () => Promise<void>): Promise<string[]> {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await run();
    return spy.mock.calls.map((args) => args.join(' ')).filter((line) => line.includes('RelayResponseNormalizer'));
  } finally {
    spy.mockRestore();
  }
}

/** Runs a query into the store, as useLazyLoadQuery does, and returns what the store reads back for it. */
async function load<T extends OperationType>(environment: Environment, query: ConcreteRequest, variables: T['variables']) {
  await fetchQuery<T>(environment, query, variables).toPromise();
  const operation = createOperationDescriptor(query, variables);
  environment.retain(operation);
  return { operation, read: () => environment.lookup(operation.fragment).data as T['response'] };
}

describe('Relay (relay-runtime, default getDataID, relay-compiler artefacts)', () => {
  it('the artefacts are what relay-compiler writes for relayStore.ts against schema.graphql now', () => {
    // --validate: compiles and fails, writing nothing, if any artefact would change.
    const output = execFileSync('npx', ['relay-compiler', '--validate'], { cwd: RELAY_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(output).toMatch(/compiled documents|no changes|Done/i);
    expect(JobRefetch.params.text).toContain('node(id: $id)');
  });

  it('keeps job "1", its live counts, schedule "1", notification 1 and execution 1 apart in one store', async () => {
    const environment = relayEnvironment();
    let read = () => ({}) as relayStoreCollisionsQuery['response'];
    const warnings = await relayWarnings(async () => {
      ({ read } = await load<relayStoreCollisionsQuery>(environment, Collisions, { notification: truth.notification.rowId }));
    });
    expect(warnings).toEqual([]);
    const data = read();
    expect(misreadings(data as unknown as CollisionData, truth)).toEqual([]);
    // One record per object, each of its own type.
    const source = environment.getStore().getSource();
    const ids = [data.jobs.find((j) => j.rowId === '1')!, data.jobs.find((j) => j.rowId === '1')!.live, data.notification!, data.executions.nodes[0]!, data.schedules[0]!].map(
      (object) => object.id,
    );
    expect(ids.map((id) => source.get(id)?.__typename)).toEqual(['Job', 'JobLiveCounts', 'Notification', 'Execution', 'Schedule']);
    expect(ids).toEqual([
      globalId('Job', '1'),
      globalId('JobLiveCounts', '1'),
      globalId('Notification', '1'),
      globalId('Execution', '1'),
      globalId('Schedule', '1'),
    ]);
  });

  it('the same check fails on the old ids: the store merges the five objects into one record and misreads them', async () => {
    const environment = relayEnvironment(withOldIds);
    let read = () => ({}) as relayStoreCollisionsQuery['response'];
    const warnings = await relayWarnings(async () => {
      ({ read } = await load<relayStoreCollisionsQuery>(environment, Collisions, { notification: truth.notification.rowId }));
    });
    // Relay says so itself, once per type that landed on record "1".
    expect(warnings.filter((w) => w.includes('globally unique id requirement'))).toHaveLength(4);
    // The notification reads the execution's status: both were normalised into record "1".
    expect(misreadings(read() as unknown as CollisionData, truth)).toEqual([
      'notification 1 status: read "RUNNING", the server said "PENDING"',
    ]);
    const record = environment.getStore().getSource().get('1')!;
    expect(record.__typename).not.toBe('Notification');
    expect(record).toMatchObject({ cron: '0 3 * * *', running: 1, subject: 'collide', status: 'RUNNING' });
  });

  it('refetches a @refetchable Job fragment through node(id:), updating the record the list query stored', async () => {
    await t.gql('mutation { upsertJob(input: { id: "relay.refetch", version: "1" }) { id } }', {}, 'ADMIN');
    const environment = relayEnvironment();
    const { operation, read } = await load<relayStoreJobsQuery>(environment, Jobs, {});
    const ref = read().jobs.find((job) => job.id === globalId('Job', 'relay.refetch'))!;
    const selector = getSelector(JobFragment, ref);
    const fragment = () => environment.lookup(selector as never).data as relayStore_job$data;
    expect(fragment()).toMatchObject({ version: '1', live: { pending: 0 } });
    const seen: relayStore_job$data[] = [];
    const subscription = environment.subscribe(environment.lookup(selector as never), (snapshot) => seen.push(snapshot.data as relayStore_job$data));

    expect((await t.gql('mutation { upsertJob(input: { id: "relay.refetch", version: "2", description: "new" }) { id } }', {}, 'ADMIN')).errors).toBeUndefined();
    expect((await t.gql('mutation { startExecution(input: { jobId: "relay.refetch", targetCount: 1 }) { id } }', {}, 'OPERATOR')).errors).toBeUndefined();
    // What useRefetchableFragment's refetch({}) sends: the generated query, the fragment's id as $id.
    const refetched = await fetchQuery(environment, JobRefetch, { id: fragment().id }).toPromise();
    // Masked, as Relay hands it out: a reference to the record node(id:) answered.
    expect(refetched).toMatchObject({ node: { __id: globalId('Job', 'relay.refetch') } });
    expect(fragment()).toMatchObject({ version: '2', description: 'new', live: { pending: 1 } });
    expect(seen.at(-1)).toMatchObject({ version: '2', live: { pending: 1 } });
    // The list query reads the refetched record too: one Job record, shared.
    expect(environment.lookup(operation.fragment).data).toMatchObject({ jobs: expect.arrayContaining([expect.objectContaining({ id: globalId('Job', 'relay.refetch') })]) });
    subscription.dispose();
  });

  it('a failure-badge subscription updates the record the badge query stored (60m and 1h are one badge)', async () => {
    const environment = relayEnvironment();
    const { operation, read } = await load<relayStoreBadgesQuery>(environment, Badges, {});
    const before = read().failureCount.count;
    expect(read().dashboard.failureCount.id).toBe(read().failureCount.id);
    const pushes: unknown[] = [];
    const errors: unknown[] = [];
    const disposable = requestSubscription(environment, {
      subscription: Failures,
      variables: {},
      onNext: (value) => pushes.push(value),
      onError: (error) => errors.push(error),
    });
    await vi.waitFor(() => expect(pushes.length + errors.length).toBeGreaterThan(0), WAIT);
    expect(errors).toEqual([]);
    const updates: relayStoreBadgesQuery['response'][] = [];
    const watching = environment.subscribe(environment.lookup(operation.fragment), (snapshot) => updates.push(snapshot.data as relayStoreBadgesQuery['response']));

    expect((await t.gql('mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }', {}, 'OPERATOR')).errors).toBeUndefined();
    await vi.waitFor(() => expect(read().failureCount.count).toBe(before + 1), WAIT);
    // The dashboard's badge is the same record, and the query's subscribers were told.
    expect(read().dashboard.failureCount.count).toBe(before + 1);
    expect(updates.at(-1)?.failureCount.count).toBe(before + 1);

    // The badge fragment refetched through node reads the same record again.
    const badge = getSelector(BadgeFragment, read().failureCount);
    await fetchQuery(environment, BadgeRefetch, { id: read().failureCount.id }).toPromise();
    expect((environment.lookup(badge as never).data as relayStore_badge$data).count).toBe(before + 1);
    watching.dispose();
    disposable.dispose();
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime, type GatewayPlugin, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createClient, type Client } from 'graphql-sse';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gatewayConfig } from '../deploy/gateway.config.js';
import { startTestServer, token, useTestApp, type GqlResult, type Sender } from './helpers.js';
import { wsClient } from './ws-client.js';

// opsgraph as a subgraph behind a real Hive Gateway (its runtime, configured by
// deploy/gateway.config.ts), beside a second subgraph that extends Job with the
// team owning it. The supergraph is composed here, from opsgraph's own `_service`
// SDL, with The Guild's composition library, as `hive dev` or rover would.
const statements: string[] = [];
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' }, { onQuery: (query) => statements.push(query) });

// The teams subgraph: it knows jobs only by the ids opsgraph gives them.
const owners = new Map<string, string>();
let teamRequests = 0;
const teamsTypeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Query {
    teams: [Team!]!
  }
  type Team {
    name: String!
    jobs: [Job!]!
  }
  type Job @key(fields: "id") {
    id: ID!
    owningTeam: Team
  }
`);
const teamsSchema = buildSubgraphSchema({
  typeDefs: teamsTypeDefs,
  resolvers: {
    Query: { teams: () => [...new Set(owners.values())].sort().map((name) => ({ name })) },
    Team: { jobs: (team: { name: string }) => [...owners].filter(([, name]) => name === team.name).map(([id]) => ({ id })) },
    Job: {
      __resolveReference: (job: { id: string }) => job,
      owningTeam: (job: { id: string }) => (owners.has(job.id) ? { name: owners.get(job.id) } : null),
    },
  } as never,
});

const servers: Server[] = [];
const callsToOpsgraph: { method: string; accept: string | null }[] = [];
const clients: Client[] = [];
let gateway: GatewayRuntime;
let gatewayUrl: string;
let supergraphSdl: string;

function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`)));
}

async function headersOf(as: Sender): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (as !== null) headers.authorization = `Bearer ${typeof as === 'string' ? await token(as) : as.token}`;
  return headers;
}

/** POSTs an operation to the gateway as `as`, the way a client of the supergraph does. */
async function viaGateway<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, as: Sender = null): Promise<GqlResult<T>> {
  const res = await fetch(gatewayUrl, { method: 'POST', headers: await headersOf(as), body: JSON.stringify({ query, variables }) });
  return (await res.json()) as GqlResult<T>;
}

const codes = (result: GqlResult) => (result.errors ?? []).map((error) => error.extensions?.code);

/** The ids opsgraph gives what the test creates: never assumed, always read back. */
const ids = { jobs: [] as string[], execution: '', notification: '' };

beforeAll(async () => {
  const teamsYoga = createYoga({ schema: teamsSchema, logging: false });
  const teamsUrl = await listen((req, res) => {
    teamRequests++;
    void teamsYoga(req, res);
  });

  for (const [name, team] of [
    ['fed.nightly', 'platform'],
    ['fed.backup', 'storage'],
  ] as const) {
    const job = await t.gql('mutation ($input: JobInput!) { upsertJob(input: $input) { id } }', { input: { id: name, version: 'v1' } }, 'ADMIN');
    expect(job.errors).toBeUndefined();
    ids.jobs.push(job.data!.upsertJob.id);
    owners.set(job.data!.upsertJob.id, team);
  }
  const execution = await t.gql('mutation { startExecution(input: { jobId: "fed.nightly", targetCount: 1 }) { id } }', {}, 'OPERATOR');
  ids.execution = execution.data!.startExecution.id;
  const notification = await t.gql(
    'mutation { sendNotification(input: { channel: WEBHOOK, recipient: "https://hooks.example.com/T0/secret", subject: "Disk full", body: "db-2" }) { id } }',
    {},
    'OPERATOR',
  );
  ids.notification = notification.data!.sendNotification.id;

  // Composition reads opsgraph's SDL as a gateway's tooling does: `_service { sdl }`, no token needed.
  const service = await t.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
  expect(service.errors).toBeUndefined();
  const composed = composeServices([
    { name: 'opsgraph', typeDefs: parse(service.data!._service.sdl), url: t.url },
    { name: 'teams', typeDefs: teamsTypeDefs, url: teamsUrl },
  ]);
  expect(composed.errors ?? []).toEqual([]);
  supergraphSdl = composed.supergraphSdl!;

  // The documented configuration, plus a record of how the gateway calls opsgraph (nothing else changed).
  const recordCalls: GatewayPlugin = {
    onFetch: ({ url, options }) => {
      if (url.startsWith(t.url)) callsToOpsgraph.push({ method: options.method ?? 'GET', accept: new Headers(options.headers as HeadersInit).get('accept') });
    },
  };
  gateway = createGatewayRuntime({ ...gatewayConfig, supergraph: supergraphSdl, logging: false, plugins: () => [...gatewayConfig.plugins(), recordCalls] });
  gatewayUrl = await listen(gateway);
});

afterAll(async () => {
  clients.forEach((client) => client.dispose());
  await gateway?.dispose();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers.forEach((server) => server.closeAllConnections());
});

describe('opsgraph as a federation subgraph', () => {
  it('composes: Job, Execution and Notification are entities keyed by id, and Job is joined with the teams subgraph', () => {
    for (const type of ['Job', 'Execution', 'Notification']) {
      expect(supergraphSdl).toMatch(new RegExp(`type ${type}\\s[^{]*@join__type\\(graph: OPSGRAPH, key: "id"\\)`));
    }
    expect(supergraphSdl).toMatch(/type Job\s[^{]*@join__type\(graph: TEAMS, key: "id"\)/);
  });

  it('answers a query joining both subgraphs, from either side', async () => {
    const fromJobs = await viaGateway('{ jobs { id version owningTeam { name } } }', {}, 'VIEWER');
    expect(fromJobs.errors).toBeUndefined();
    const jobs = fromJobs.data!.jobs.filter((job: { id: string }) => ids.jobs.includes(job.id));
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(job).toEqual({ id: job.id, version: 'v1', owningTeam: { name: owners.get(job.id) } });

    // From the other side: the teams subgraph lists jobs by id, and opsgraph's `_entities` fills them in.
    const fromTeams = await viaGateway('{ teams { name jobs { id version scriptStatus live { running pending } } } }', {}, 'VIEWER');
    expect(fromTeams.errors).toBeUndefined();
    expect(fromTeams.data!.teams).toEqual([
      { name: 'platform', jobs: [{ id: ids.jobs[0], version: 'v1', scriptStatus: 'ACTIVE', live: { running: 0, pending: 1 } }] },
      { name: 'storage', jobs: [{ id: ids.jobs[1], version: 'v1', scriptStatus: 'ACTIVE', live: { running: 0, pending: 0 } }] },
    ]);
  });

  it('forwards the bearer token: opsgraph refuses through the gateway whom it refuses directly, with the same code', async () => {
    const cases: [string, Sender, string][] = [
      ['{ jobs { id version } }', null, 'UNAUTHENTICATED'],
      ['{ jobs { id version } }', { token: 'not.a.token' }, 'UNAUTHENTICATED'],
      ['{ webhookSigningSecrets { secret } }', 'VIEWER', 'FORBIDDEN'],
      ['mutation { recordOrchestratorEvent(input: { kind: EMAIL, success: false }) { id } }', 'VIEWER', 'FORBIDDEN'],
      ['mutation { upsertJob(input: { id: "fed.intruder", version: "v1" }) { id } }', 'OPERATOR', 'FORBIDDEN'],
    ];
    for (const [query, as, code] of cases) {
      const direct = await t.gql(query, {}, as);
      const through = await viaGateway(query, {}, as);
      expect({ query, codes: codes(direct) }).toEqual({ query, codes: [code] });
      expect({ query, codes: codes(through) }).toEqual({ query, codes: [code] });
      expect(through.data ?? null).toEqual(direct.data ?? null);
    }
    expect((await t.gql('{ job(id: "fed.intruder") { id } }', {}, 'ADMIN')).data!.job).toBeNull();
  });

  it('refuses the entities of a join to a caller opsgraph would refuse them to, and reads the public part only', async () => {
    const anonymous = await viaGateway('{ teams { name jobs { id version } } }');
    expect(codes(anonymous)).toContain('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous.data)).not.toContain('"version"');
    const viewer = await viaGateway('{ teams { name jobs { version } } }', {}, 'VIEWER');
    expect(viewer.errors).toBeUndefined();
  });

  it('pushes the failure badge through the gateway (SSE to the gateway, SSE from it to opsgraph) when a failure is recorded through it', async () => {
    const client = createClient({ url: gatewayUrl, headers: { authorization: `Bearer ${await token('VIEWER')}` }, retryAttempts: 0 });
    clients.push(client);
    const badge = client.iterate<{ failureCount: { id: string; count: number } }>({ query: 'subscription { failureCount(since: "1h", kind: EMAIL) { id count } }' });
    callsToOpsgraph.length = 0;
    const first = (await badge.next()).value;
    expect(first.errors).toBeUndefined();
    // The gateway subscribed to opsgraph over SSE: GraphQL over HTTP asking for text/event-stream.
    expect(callsToOpsgraph).toEqual([{ method: 'GET', accept: 'text/event-stream' }]);
    const before = first.data!.failureCount.count;
    const recorded = await viaGateway('mutation { recordOrchestratorEvent(input: { kind: EMAIL, success: false, detail: "550 mailbox full" }) { id } }', {}, 'OPERATOR');
    expect(recorded.errors).toBeUndefined();
    const second = (await badge.next()).value;
    expect(second.data!.failureCount).toEqual({ id: first.data!.failureCount.id, count: before + 1 });
    await badge.return?.();

    const anonymous = createClient({ url: gatewayUrl, retryAttempts: 0 });
    clients.push(anonymous);
    const refused = (await anonymous.iterate({ query: 'subscription { failureCount(since: "1h") { count } }' }).next()).value;
    expect(codes(refused as GqlResult)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('subscriptions over WebSocket from a router', () => {
  /** A WebSocket that sends `authorization` on its upgrade request, as a router that propagates headers to a WebSocket subgraph does. */
  const upgradeWith = (authorization: string) =>
    class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization } });
      }
    };
  const firstOf = (client: ReturnType<typeof wsClient>) =>
    new Promise<GqlResult | { closed: number }>((resolve) => {
      client.subscribe(
        { query: 'subscription { failureCount(since: "1h") { id count } }' },
        { next: (value) => resolve(value as GqlResult), error: (error) => resolve(Array.isArray(error) ? { errors: error } : { closed: (error as { code: number }).code }), complete: () => {} },
      );
    });

  it("takes the caller's token from the upgrade request when connection_init carries none", async () => {
    const viewer = wsClient(t.wsUrl, null, { webSocketImpl: upgradeWith(`Bearer ${await token('VIEWER')}`) });
    const anonymous = wsClient(t.wsUrl, null);
    const forged = wsClient(t.wsUrl, null, { webSocketImpl: upgradeWith('Bearer not.a.token') });
    // The payload's token comes first: a program that sends both is the caller its payload names.
    const both = wsClient(t.wsUrl, await token('VIEWER'), { webSocketImpl: upgradeWith('Bearer not.a.token') });
    try {
      const [fromHeader, none, bad, fromPayload] = await Promise.all([viewer, anonymous, forged, both].map(firstOf));
      expect(fromHeader).toMatchObject({ data: { failureCount: { count: expect.any(Number) } } });
      expect(codes(none as GqlResult)).toEqual(['UNAUTHENTICATED']);
      expect(bad).toEqual({ closed: 4403 });
      expect(fromPayload).toMatchObject({ data: { failureCount: { count: expect.any(Number) } } });
    } finally {
      await Promise.all([viewer, anonymous, forged, both].map((client) => client.dispose()));
    }
  });
});

describe('_service', () => {
  it('publishes the SDL with the federation directives, to anyone while introspection is on, and to no one with it off', async () => {
    const sdl = (await t.gql('{ _service { sdl } }')).data!._service.sdl as string;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])');
    expect(sdl.match(/@key\(fields: "id"\)/g)).toHaveLength(3);
    const closed = await startTestServer(t.databaseUrl, { GRAPHQL_INTROSPECTION: 'off' });
    try {
      const refused = await closed.gql('{ _service { sdl } }', {}, 'SUPERADMIN');
      expect(codes(refused)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(refused)).not.toContain('@key');
    } finally {
      await closed.stop();
    }
  });
});

describe('_entities, as a gateway calls it', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Job { id version }
      ... on Execution { id status jobId }
      ... on Notification { id subject recipient }
    }
  }`;
  const all = () => [
    { __typename: 'Job', id: ids.jobs[0] },
    { __typename: 'Execution', id: ids.execution },
    { __typename: 'Notification', id: ids.notification },
  ];

  it('loads each entity by its id, for a VIEWER with the fields a VIEWER reads (a webhook URL hidden)', async () => {
    const viewer = await t.gql(ENTITIES, { representations: all() }, 'VIEWER');
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data!._entities).toEqual([
      { __typename: 'Job', id: ids.jobs[0], version: 'v1' },
      { __typename: 'Execution', id: ids.execution, status: 'PENDING', jobId: 'fed.nightly' },
      { __typename: 'Notification', id: ids.notification, subject: 'Disk full', recipient: '(hidden)' },
    ]);
    const direct = await t.gql(`{ notification(id: ${JSON.stringify(ids.notification)}) { recipient } }`, {}, 'VIEWER');
    expect(direct.data!.notification.recipient).toBe('(hidden)');
    const operator = await t.gql(ENTITIES, { representations: all() }, 'OPERATOR');
    expect(operator.data!._entities[2].recipient).toBe('https://hooks.example.com/T0/secret');
  });

  it('refuses every entity to a caller without a token or with a bad one, as their own fields do, before loading any', async () => {
    for (const as of [null, { token: 'not.a.token' }] as Sender[]) {
      statements.length = 0;
      const refused = await t.gql(ENTITIES, { representations: all() }, as);
      expect(codes(refused)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
      expect(refused.data?._entities ?? [null, null, null]).toEqual([null, null, null]);
      expect(statements.filter((s) => /from (jobs|executions|notifications)\b/.test(s))).toEqual([]);
    }
  });

  it('gives null for an id that names nothing, and refuses a type that is not an entity', async () => {
    const missing = await t.gql(
      ENTITIES,
      { representations: [{ __typename: 'Job', id: 'fed.none' }, { __typename: 'Execution', id: '999999999' }, { __typename: 'Notification', id: 'x' }] },
      'VIEWER',
    );
    expect(missing.errors).toBeUndefined();
    expect(missing.data!._entities).toEqual([null, null, null]);
    const notEntity = await t.gql('query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: 'WebhookSigningSecret', secret: 'x' }] }, 'SUPERADMIN');
    expect(notEntity.errors).toHaveLength(1);
    expect(JSON.stringify(notEntity.data)).not.toContain('WebhookSigningSecret');
  });

  it('counts every representation against the cost limit, and refuses a batch over it before loading any', async () => {
    // `... on Job { id version live { running pending } }` costs 2 + 1 + 1 + (2 + 1 + 1) = 8, so 6 250 fit in 50 000.
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Job { id version live { running pending } } } }';
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Job', id: i === 0 ? ids.jobs[0] : `fed.none-${i}` }));
    statements.length = 0;
    const fits = await t.gql(query, { r: many(6_250) }, 'VIEWER');
    expect(fits.errors).toBeUndefined();
    expect(fits.data!._entities[0]).toMatchObject({ id: ids.jobs[0], version: 'v1' });
    // One statement loads the whole batch, as one loads a whole list.
    expect(statements.filter((s) => /from jobs\b/.test(s))).toHaveLength(1);
    statements.length = 0;
    const over = await t.gql(query, { r: many(6_251) }, 'VIEWER');
    expect(codes(over)).toEqual(['QUERY_COST_LIMIT']);
    expect(over.errors![0]!.message).toBe('Query Cost limit of 50000 exceeded, found 50008 (6251 representations at a cost of 8 each).');
    expect(statements.filter((s) => /from jobs\b/.test(s))).toEqual([]);
  });
});

describe("the gateway's limits and opsgraph's", () => {
  const page = 'executions(first: 500) { edges { node { id status job { id live { running pending } } } } }';
  const costly = `{ ${['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((alias) => `${alias}: ${page}`).join(' ')} }`;

  it('refuse an operation over the cost limit alike, and the gateway refuses it whole: no subgraph runs a part of it', async () => {
    const direct = await t.gql(costly, {}, 'VIEWER');
    expect(codes(direct)).toEqual(['QUERY_COST_LIMIT']);
    const before = teamRequests;
    const through = await viaGateway(costly.replace(/^\{/, '{ teams { name }'), {}, 'VIEWER');
    expect(codes(through)).toEqual(['QUERY_COST_LIMIT']);
    expect(through.errors![0]!.message).toBe(direct.errors![0]!.message.replace('52500', '52503'));
    expect(through.data ?? null).toBeNull();
    expect(teamRequests).toBe(before);
  });

  it("counts the page sizes the gateway turns into variables: opsgraph refuses the gateway's form of a costly query as it refuses the client's", async () => {
    const direct = await t.gql(costly, {}, 'VIEWER');
    const gatewayForm = `query ($first: Int) ${costly.replaceAll('first: 500', 'first: $first')}`;
    const refused = await t.gql(gatewayForm, { first: 500 }, 'VIEWER');
    expect(refused.errors!.map((e) => [e.extensions?.code, e.message])).toEqual(direct.errors!.map((e) => [e.extensions?.code, e.message]));
    expect(refused.data ?? null).toBeNull();
    const small = await t.gql(gatewayForm, { first: 5 }, 'VIEWER');
    expect(small.errors).toBeUndefined();
  });

  it('refuse too many aliases alike', async () => {
    const aliased = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: scriptStatus(jobId: "x")`).join(' ')} }`;
    const direct = await t.gql(aliased, {}, 'VIEWER');
    const through = await viaGateway(aliased, {}, 'VIEWER');
    expect(codes(direct)).toEqual(['QUERY_ALIAS_LIMIT']);
    expect(through.errors!.map((e) => [e.extensions?.code, e.message])).toEqual(direct.errors!.map((e) => [e.extensions?.code, e.message]));
  });

  it('refuses a joined query deeper than opsgraph allows at the gateway, before the teams subgraph runs its part', async () => {
    const before = teamRequests;
    const deep = await viaGateway('{ teams { jobs { owningTeam { jobs { owningTeam { jobs { id } } } } } } }', {}, 'VIEWER');
    expect(deep.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([['QUERY_DEPTH_LIMIT', 'Query depth limit of 6 exceeded, found 7.']]);
    expect(deep.data ?? null).toBeNull();
    expect(teamRequests).toBe(before);
  });

  it('refuses at the gateway a query over its token limit, which leaves room for what the gateway adds to opsgraph\'s part', async () => {
    const before = teamRequests;
    const long = `{ teams { name } ${'__typename '.repeat(896)}}`; // 905 tokens
    const through = await viaGateway(long, {}, 'VIEWER');
    expect(through.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([['QUERY_TOKEN_LIMIT', 'Token limit of 900 exceeded.']]);
    expect(through.data ?? null).toBeNull();
    expect(teamRequests).toBe(before);
  });

  it('pass a joined query at the depth limit: what the gateway sends opsgraph stays within its limits', async () => {
    const edge = await viaGateway('{ teams { jobs { owningTeam { jobs { live { running } } } } } }', {}, 'VIEWER');
    expect(edge.errors).toBeUndefined();
    expect(edge.data!.teams[0].jobs[0].owningTeam.jobs[0].live).toEqual({ running: 0 });
  });
});

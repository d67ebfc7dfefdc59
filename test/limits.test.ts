import { getIntrospectionQuery } from 'graphql';
import { createYoga, createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { limitPlugins } from '../src/yoga/limits.js';
import { useTestApp, token, codes } from './helpers.js';
import { wsClient, wsOnce } from './ws-client.js';

let statements = 0;
const t = useTestApp({}, { onQuery: () => statements++ });
const strict = useTestApp({ GRAPHQL_MAX_DEPTH: '2', GRAPHQL_INTROSPECTION: 'off', GRAPHIQL: 'off' });

const page = 'executions(first: 500) { edges { node { id status job { id live { running pending } } } } }';
const pages = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: ${page}`).join(' ')} }`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;

/** POSTs over the network as a client that prefers the GraphQL-over-HTTP media type (Apollo Client 4 does). */
async function post(url: string, query: string, role = 'VIEWER' as const, accept = 'application/graphql-response+json, application/json;q=0.9') {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${await token(role)}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('query limits', () => {
  it('allows GraphiQL introspection under the default limits', async () => {
    const result = await t.gql(getIntrospectionQuery(), {}, 'VIEWER');
    expect(result.errors).toBeUndefined();
    expect(result.data?.__schema.queryType.name).toBe('Query');
  });

  it('lets the contract\'s deepest operations through the default limits', async () => {
    const deepest = [
      '{ executions { edges { node { job { live { running } } } } } }',
      '{ dashboard { scanStats { stats { scanType count } } failureCount(since: "7d") { count } } }',
      '{ schedules { job { live { running pending } scriptStatus } } }',
    ];
    for (const query of deepest) expect((await t.gql(query, {}, 'VIEWER')).errors).toBeUndefined();
  });

  it('refuses more than 15 aliases before anything reaches the database', async () => {
    expect((await t.gql(aliases(15), {}, 'VIEWER')).errors).toBeUndefined();
    statements = 0;
    const refused = await t.gql(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: auditLog { totalCount }`).join(' ')} }`, {}, 'ADMIN');
    expect(refused.errors?.[0]?.message).toMatch(/aliases/i);
    expect(codes(refused)).toEqual(['QUERY_ALIAS_LIMIT']);
    expect(refused.data ?? null).toBeNull();
    expect(statements).toBe(0);
  });

  it('refuses more than 1000 tokens and more than 50 directives', async () => {
    // Twice each: the second answer comes from yoga's parse and validation caches, and must read the same.
    for (let i = 0; i < 2; i++) {
      const tokens = await t.gql(`{ me { ${'id '.repeat(1000)} } }`, {}, 'VIEWER');
      expect(tokens.errors?.[0]?.message).toBe('Token limit of 1000 exceeded.');
      expect(codes(tokens)).toEqual(['QUERY_TOKEN_LIMIT']);
      const directives = await t.gql(`{ me { ${'id @include(if: true) '.repeat(51)} } }`, {}, 'VIEWER');
      expect(directives.errors?.[0]?.message).toMatch(/directive/i);
      expect(codes(directives)).toEqual(['QUERY_DIRECTIVE_LIMIT']);
    }
  });

  it('refuses an operation deeper than the configured depth', async () => {
    const deep = await strict.gql('{ auditLog { edges { node { id } } } }', {}, 'ADMIN');
    expect(deep.errors?.[0]?.message).toBe('Query depth limit of 2 exceeded, found 4.');
    expect(codes(deep)).toEqual(['QUERY_DEPTH_LIMIT']);
    expect((await strict.gql('{ me { id } }', {}, 'ADMIN')).errors).toBeUndefined();
  });

  it('counts no level for fragment spreads and inline fragments, as colocated-fragment clients write queries', async () => {
    // Depth 3 written three ways; under a limit of 2 all three are refused alike, and found 3.
    const written = [
      '{ jobs { id live { running pending } } }',
      '{ jobs { ...J } } fragment J on Job { id live { ...L } } fragment L on JobLiveCounts { running pending }',
      '{ jobs { ... on Job { id live { ... on JobLiveCounts { running pending } } } } }',
    ];
    for (const query of written) {
      expect((await t.gql(query, {}, 'VIEWER')).errors).toBeUndefined();
      expect((await strict.gql(query, {}, 'VIEWER')).errors?.[0]?.message).toBe('Query depth limit of 2 exceeded, found 3.');
    }
    // The case: depth 6 through fragments (it was counted as 7 and refused).
    const fragments = `{ executions { edges { ...E } } }
      fragment E on ExecutionEdge { node { ...X } }
      fragment X on Execution { id job { ...J } }
      fragment J on Job { id live { ...L } }
      fragment L on JobLiveCounts { running pending }`;
    expect((await t.gql(fragments, {}, 'VIEWER')).errors).toBeUndefined();
  });

  it('lets every page size the contract allows through for the docs\' and examples\' selections', async () => {
    const pages = [
      '{ notifications(status: DEAD, first: 500) { totalCount nodes { id status } } }',
      '{ notifications(status: DEAD, first: 500) { totalCount nodes { id subject retryCount lastError createdAt } pageInfo { hasNextPage endCursor } } }',
      '{ executions(first: 500) { edges { node { job { live { running } } } } } }',
      '{ executions(status: FAILED, first: 500) { nodes { id resultCount targetCount createdAt finishedAt } } }',
      '{ pending: executions(status: PENDING, first: 500) { nodes { id targetCount resultCount } } running: executions(status: RUNNING, first: 500) { nodes { id targetCount resultCount } } }',
      // Every field of a connection at 500 (cost 17 000): the most one page can cost.
      '{ executions(first: 500) { totalCount edges { cursor node { id jobId version initiatedBy targetCount resultCount status createdAt finishedAt job { id version description inventory scriptStatus createdAt updatedAt live { running pending } } } } pageInfo { hasNextPage endCursor } } }',
    ];
    for (const query of pages) expect({ query, ...(await t.gql(query, {}, 'ADMIN')) }).toEqual({ query, data: expect.anything() });
  });

  it('refuses a query that multiplies pages, with its cost in the message', async () => {
    // Each page costs (2 + edges 13) × 500 = 7 500: six fit, seven do not.
    expect((await t.gql(pages(6), {}, 'VIEWER')).errors).toBeUndefined();
    const seven = await t.gql(pages(7), {}, 'VIEWER');
    expect(seven.errors?.[0]?.message).toBe('Query Cost limit of 50000 exceeded, found 52500.');
    expect(codes(seven)).toEqual(['QUERY_COST_LIMIT']);

    // The schema has no page inside a page today; the same plugins on a schema that has one refuse it.
    // A yoga of its own, asked in process (nested.fetch): it is the plugins under test, not the server.
    const nested = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { executions(first: Int): [Execution!]! } type Execution { id: ID! results(first: Int): [Result!]! } type Result { id: ID! ok: Boolean! }',
        resolvers: { Query: { executions: () => [] } },
      }),
      plugins: limitPlugins(loadConfig({})),
    });
    const ask = async (query: string) => (await nested.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json();
    expect((await ask('{ executions(first: 500) { id results(first: 1) { id ok } } }')).errors).toBeUndefined();
    const multiplied = await ask('{ executions(first: 500) { id results(first: 500) { id ok } } }');
    expect(multiplied.errors[0]).toMatchObject({ message: 'Query Cost limit of 50000 exceeded, found 1001500.', extensions: { code: 'QUERY_COST_LIMIT' } });
  });

  it('answers a refusal over HTTP as a validation error: 400 under application/graphql-response+json, 200 under application/json, never "Syntax Error"', async () => {
    const refusals: [string, string][] = [
      [aliases(16), 'QUERY_ALIAS_LIMIT'],
      [`{ me { ${'id '.repeat(1000)} } }`, 'QUERY_TOKEN_LIMIT'],
      [`{ me { ${'id @include(if: true) '.repeat(51)} } }`, 'QUERY_DIRECTIVE_LIMIT'],
      [pages(7), 'QUERY_COST_LIMIT'],
    ];
    for (const [query, code] of refusals) {
      {
        const spec = await post(t.url, query);
        expect({ query, status: spec.status, type: spec.type, codes: spec.body.errors?.map((e) => e.extensions?.code) }).toEqual({
          query,
          status: 400,
          type: 'application/graphql-response+json; charset=utf-8',
          codes: [code],
        });
        expect(spec.body.errors?.[0]?.message).not.toMatch(/syntax/i);
        expect(spec.body.errors?.[0]?.extensions).toEqual({ code });
        const legacy = await post(t.url, query, 'VIEWER', 'application/json');
        expect([legacy.status, legacy.body.errors?.[0]?.extensions?.code]).toEqual([200, code]);
      }
    }
    const deep = await post(strict.url, '{ auditLog { edges { node { id } } } }');
    expect([deep.status, deep.body.errors?.[0]?.extensions?.code]).toEqual([400, 'QUERY_DEPTH_LIMIT']);
  });

  it('applies the limits to graphql-ws operations too', async () => {
    const client = wsClient(t.wsUrl, await token('VIEWER'));
    try {
      const refused = await wsOnce(client, aliases(16));
      expect(refused.errors?.[0]?.message).toMatch(/aliases/i);
      expect(refused.errors?.[0]?.extensions).toEqual({ code: 'QUERY_ALIAS_LIMIT' });
      const tokens = await wsOnce(client, `{ me { ${'id '.repeat(1000)} } }`);
      expect(tokens.errors?.[0]).toMatchObject({ message: 'Token limit of 1000 exceeded.', extensions: { code: 'QUERY_TOKEN_LIMIT' } });
      const fragments = await wsOnce(client, '{ jobs { ...J } } fragment J on Job { id live { ...L } } fragment L on JobLiveCounts { running pending }');
      expect(fragments).toEqual({ data: { jobs: [] } });
    } finally {
      await client.dispose();
    }
  });
});

describe('switches and caps', () => {
  it('turns introspection and GraphiQL off', async () => {
    const result = await strict.gql('{ __schema { queryType { name } } }', {}, 'ADMIN');
    expect(result.errors?.[0]?.message).toMatch(/introspection/i);
    const page = await fetch(strict.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('GraphiQL');
  });

  it('refuses a body over the size cap with 413, and one of unknown length with 411', async () => {
    const big = JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(1_100_000) } });
    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"query":"{ me { id } }"}'));
        controller.close();
      },
    });
    const chunked = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
  });

  it('answers queries over GET with no extra header, and never runs a mutation over GET', async () => {
    const viewer = `Bearer ${await token('VIEWER')}`;
    const res = await fetch(`${t.url}?query=${encodeURIComponent('{ me { id: rowId } }')}`, { headers: { accept: 'application/json', authorization: viewer } });
    expect([res.status, await res.json()]).toEqual([200, { data: { me: { id: 'test-viewer' } } }]);
    const mutation = encodeURIComponent('mutation { recordScan(input: { scanType: "lunch", subjectId: "a" }) { id } }');
    const refused = await fetch(`${t.url}?query=${mutation}`, { headers: { accept: 'application/json', authorization: `Bearer ${await token('OPERATOR')}` } });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('POST');
    expect((await t.gql('{ scanStats { total } }', {}, 'VIEWER')).data).toEqual({ scanStats: { total: 0 } });
  });

  it('sends an X-Request-Id with every response', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-123' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('graphql-ws and token expiry', () => {
  it('closes the socket with 4403 within a second of the token expiring', async () => {
    const shortLived = await token('VIEWER', 'brief', 2);
    let closedAt = 0;
    let code = 0;
    const client = wsClient(t.wsUrl, shortLived, {
      lazy: false,
      on: { closed: (event) => ((closedAt = Date.now()), (code = (event as { code: number }).code)) },
    });
    const expiresAt = JSON.parse(Buffer.from(shortLived.split('.')[1]!, 'base64url').toString()).exp * 1000;
    expect(codes(await wsOnce(client, '{ me { id } }'))).toEqual([]);
    while (!closedAt && Date.now() < expiresAt + 3000) await new Promise((r) => setTimeout(r, 50));
    expect(code).toBe(4403);
    expect(closedAt - expiresAt).toBeLessThan(1000);
    await client.dispose();
  });
});

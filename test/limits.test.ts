import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useTestApp, token, codes } from './helpers.js';
import { wsClient, wsOnce } from './ws-client.js';

let statements = 0;
const t = useTestApp({}, { onQuery: () => statements++ });
const strict = useTestApp({ GRAPHQL_MAX_DEPTH: '2', GRAPHQL_INTROSPECTION: 'off', GRAPHIQL: 'off' });

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;

describe('query limits (graphql-armor defaults)', () => {
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
    expect(refused.data ?? null).toBeNull();
    expect(statements).toBe(0);
  });

  it('refuses more than 1000 tokens and more than 50 directives', async () => {
    const tokens = await t.gql(`{ me { ${'id '.repeat(1000)} } }`, {}, 'VIEWER');
    expect(tokens.errors?.[0]?.message).toMatch(/token/i);
    const directives = await t.gql(`{ me { id ${'@include(if: true) '.repeat(51)} } }`, {}, 'VIEWER');
    expect(directives.errors?.[0]?.message).toMatch(/directive/i);
  });

  it('refuses an operation deeper than the configured depth', async () => {
    const deep = await strict.gql('{ auditLog { edges { node { id } } } }', {}, 'ADMIN');
    expect(deep.errors?.[0]?.message).toMatch(/depth/i);
    expect((await strict.gql('{ me { id } }', {}, 'ADMIN')).errors).toBeUndefined();
  });

  it('applies the limits to graphql-ws operations too', async () => {
    const client = wsClient(t.wsUrl, await token('VIEWER'));
    try {
      const refused = await wsOnce(client, aliases(16));
      expect(refused.errors?.[0]?.message).toMatch(/aliases/i);
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

  it('keeps CSRF prevention on: a simple cross-site GET without the header is refused', async () => {
    const res = await fetch(`${t.url}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(403);
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

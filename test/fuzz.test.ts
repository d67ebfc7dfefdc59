import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp, token } from './helpers.js';

const t = useTestApp();

/** Every answer is a GraphQL error or a 4xx; never a 5xx, never a stack trace. */
async function post(body: string, auth: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = auth;
  const res = await fetch(t.url, { method: 'POST', headers, body });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return { status: res.status, text };
}

const fragments = ['{', '}', '(', ')', 'me', 'id', 'roles', 'auditLog', 'first:', '50', '-1', '"x"', '$v', 'query', 'mutation', 'subscription', 'fragment', 'on', '...', '@include(if: true)', '__schema', '__typename', 'edges', 'node', 'after:', 'null', '[', ']', ':', '!', '\u0000', '#'];

describe('fuzzing the HTTP endpoint', () => {
  it('survives random documents built from GraphQL tokens', async () => {
    const bearer = `Bearer ${await token('SUPERADMIN')}`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), async (parts) => {
        await post(JSON.stringify({ query: parts.join(' ') }), bearer);
      }),
      { numRuns: 150 },
    );
  });

  it('survives random JSON bodies, variables and operation names', async () => {
    const bearer = `Bearer ${await token('ADMIN')}`;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.record({ query: fc.constant('query Q($first: Int, $after: String) { auditLog(first: $first, after: $after) { totalCount } }'), variables: fc.anything() }),
          fc.record({ query: fc.string(), operationName: fc.anything(), extensions: fc.anything() }),
        ),
        async (body) => {
          await post(typeof body === 'string' ? body : JSON.stringify(body), bearer);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('survives random authorization headers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string().map((s) => `Bearer ${s}`)), async (header) => {
        const { text } = await post(JSON.stringify({ query: '{ me { id } }' }), header.replace(/[\r\n\0]/g, '') || null);
        expect(text).toMatch(/"(data|errors)"/);
      }),
      { numRuns: 100 },
    );
  });

  it('is still up afterwards', async () => {
    expect((await fetch(t.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });
});

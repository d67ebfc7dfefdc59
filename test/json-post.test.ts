import { describe, expect, it } from 'vitest';
import { metricValue, token, useTestApp } from './helpers.js';

// Plain JSON POSTs are answered through envelop without yoga's Fetch-API
// layer (src/yoga/json-post.ts). Each request below goes to the real server
// over HTTP, where that path answers it, and to yoga itself (yoga.fetch, which
// never reaches it): status, content type and body must be the same.

const t = useTestApp();
const off = useTestApp({ GRAPHQL_JSON_FAST_PATH: 'off' });

const fastPathRequests = () => metricValue(t.url, 'opsgraph_json_fast_path_requests_total');

interface Sent {
  status: number;
  type: string | null;
  body: unknown;
  requestId: string | null;
}

async function both(body: string, headers: Record<string, string> = {}): Promise<{ fast: Sent; yoga: Sent }> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body };
  const read = async (res: Response): Promise<Sent> => {
    const text = await res.text();
    const type = res.headers.get('content-type');
    return { status: res.status, type, body: type?.includes('json') ? JSON.parse(text) : text, requestId: res.headers.get('x-request-id') };
  };
  const fast = await read(await fetch(t.url, init));
  const yoga = await read(await t.app.yoga.fetch('http://localhost/graphql', init));
  return { fast, yoga };
}

const query = (q: string, extra: Record<string, unknown> = {}) => JSON.stringify({ query: q, ...extra });

describe('plain JSON POSTs', () => {
  it('answer exactly as yoga does: data, domain errors, refusals, syntax and validation errors, limits', async () => {
    const viewer = { authorization: `Bearer ${await token('VIEWER')}` };
    const cases: [string, Record<string, string>][] = [
      [query('{ scanStats { total stats { scanType count } } }'), viewer],
      [query('query A { scanStats { total } } query B($s: String!) { failureCount(since: $s) { count } }', { operationName: 'B', variables: { s: '1h' } }), viewer],
      [query('{ failureCount(since: "8d") { count } }'), viewer],
      [query('{ scanStats { total } }'), {}],
      [query('{ auditLog { totalCount } }'), viewer],
      [query('{ scanStats { total }'), viewer],
      [query('{ nope }'), viewer],
      [query('{ failureCount(since: 5) { count } }'), viewer],
      [query(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: scanStats { total }`).join(' ')} }`), viewer],
      [query('{ scanStats { total } }'), { authorization: 'Bearer not-a-token' }],
      [query('{ scanStats { total } }'), { ...viewer, accept: 'application/json' }],
      [query('{ scanStats { total } }', { variables: null, operationName: null, extensions: {} }), { ...viewer, accept: '*/*' }],
    ];
    const before = await fastPathRequests();
    for (const [body, headers] of cases) {
      const { fast, yoga } = await both(body, headers);
      expect({ request: body, ...fast, requestId: undefined }).toEqual({ request: body, ...yoga, requestId: undefined });
      expect(fast.requestId).toMatch(/^[\w.:-]+$/);
    }
    expect(await fastPathRequests()).toBe(before + cases.length);
  });

  it('hands what it does not answer itself to yoga, body and all', async () => {
    const viewer = { authorization: `Bearer ${await token('VIEWER')}` };
    const before = await fastPathRequests();
    const cases: [string, Record<string, string>][] = [
      ['{"query": "{ scanStats { total } }"', viewer], // not JSON
      [JSON.stringify({ query: 5 }), viewer], // not GraphQL parameters
      [JSON.stringify([{ query: '{ scanStats { total } }' }]), viewer], // a batch
      [query('subscription { deadLetterCount }'), { ...viewer, accept: 'application/json' }], // a subscription wants a stream
      [query('query A { scanStats { total } } query B { scanStats { total } }'), viewer], // which operation?
    ];
    for (const [body, headers] of cases) {
      const { fast, yoga } = await both(body, headers);
      expect({ request: body, ...fast, requestId: undefined }).toEqual({ request: body, ...yoga, requestId: undefined });
      expect(fast.status).toBeGreaterThanOrEqual(400);
    }
    // Browsers (an Origin), other Accept headers and other content types never take the path at all.
    for (const headers of [{ origin: 'http://localhost' }, { accept: 'application/graphql-response+json' }] as Record<string, string>[]) {
      const { fast, yoga } = await both(query('{ scanStats { total } }'), { ...viewer, ...headers });
      expect(fast.body).toEqual(yoga.body);
    }
    // Content types exactly as yoga matches them: case and spacing matter to it (it answers 415), so the
    // path never runs what yoga would refuse (it used to run APPLICATION/JSON), and runs what yoga runs.
    for (const type of ['APPLICATION/JSON', 'Application/Json; charset=utf-8', 'application/json ; charset=utf-8']) {
      const { fast, yoga } = await both(query('{ scanStats { total } }'), { ...viewer, 'content-type': type });
      expect({ sent: type, ...fast, requestId: undefined }).toEqual({ sent: type, ...yoga, requestId: undefined });
      expect(fast.status).toBe(415);
    }
    for (const type of ['application/json;charset=UTF-8', 'application/json; charset="utf-8"', 'application/json, text/plain']) {
      const { fast, yoga } = await both(query('{ scanStats { total } }'), { ...viewer, 'content-type': type });
      expect({ sent: type, ...fast, requestId: undefined }).toEqual({ sent: type, ...yoga, requestId: undefined });
      expect(fast.status).toBe(200);
    }
    expect(await fastPathRequests()).toBe(before + 2 + 3);
  });

  it('runs mutations, echoes a sane X-Request-Id, and can be turned off', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('OPERATOR')}`, 'x-request-id': 'trace-42' },
      body: query('mutation { recordScan(input: { scanType: "lunch", subjectId: "a" }) { scanType } }'),
    });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(await res.json()).toEqual({ data: { recordScan: { scanType: 'lunch' } } });
    expect((await t.gql('{ scanStats { total } }', {}, 'VIEWER')).data).toEqual({ scanStats: { total: 1 } });

    const before = await fastPathRequests();
    const plain = await fetch(off.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('VIEWER')}` },
      body: query('{ scanStats { total } }'),
    });
    expect(await plain.json()).toEqual({ data: { scanStats: { total: 0 } } });
    expect(await fastPathRequests()).toBe(before);
  });
});

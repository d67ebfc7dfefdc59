import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { metricValue, token, useTestApp, type TestApp } from './helpers.js';

// Plain JSON POSTs are answered through envelop without yoga's Fetch-API
// layer (src/yoga/json-post.ts). Each request below goes to the real server
// over HTTP, where that path answers it, and to yoga itself (yoga.fetch, which
// never reaches it): status, content type and body must be the same.

const MANIFEST = 'test/clients/persisted/gql/persisted-documents.json';
const t = useTestApp();
const off = useTestApp({ GRAPHQL_JSON_FAST_PATH: 'off' });
const trusted = useTestApp({ GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST });

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
      [query('subscription { deadLetterCount }'), { ...viewer, accept: 'application/json' }], // a subscription wants a stream
      [query('query A { scanStats { total } } query B { scanStats { total } }'), viewer], // which operation?
    ];
    for (const [body, headers] of cases) {
      const { fast, yoga } = await both(body, headers);
      expect({ request: body, ...fast, requestId: undefined }).toEqual({ request: body, ...yoga, requestId: undefined });
      expect(fast.status).toBeGreaterThanOrEqual(400);
    }
    // Batches, and persisted operations that need yoga's plugin (storing a query, an unknown hash).
    const hash = (q: string) => createHash('sha256').update(q).digest('hex');
    const persisted = (q: string, withQuery: boolean) =>
      JSON.stringify({ ...(withQuery ? { query: q } : {}), extensions: { persistedQuery: { version: 1, sha256Hash: hash(q) } } });
    const answeredByYoga: [string, unknown][] = [
      [JSON.stringify([{ query: '{ scanStats { total } }' }, { query: '{ me { id: rowId } }' }]), [{ data: { scanStats: { total: 0 } } }, { data: { me: { id: 'test-viewer' } } }]],
      [persisted('{ me { roles } }', false), { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] }],
      [persisted('{ me { roles } }', true), { data: { me: { roles: ['VIEWER'] } } }],
    ];
    for (const [body, expected] of answeredByYoga) {
      const { fast, yoga } = await both(body, viewer);
      expect({ body, status: fast.status, result: fast.body }).toEqual({ body, status: 200, result: expected });
      expect({ ...fast, requestId: undefined }).toEqual({ ...yoga, requestId: undefined });
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

  it('runs a persisted operation it knows (APQ, trusted documents) itself, and leaves the rest to yoga', async () => {
    const viewer = { authorization: `Bearer ${await token('VIEWER')}` };
    const sha = (q: string) => createHash('sha256').update(q).digest('hex');
    const apq = (q: string, withQuery: boolean) => JSON.stringify({ ...(withQuery ? { query: q } : {}), extensions: { persistedQuery: { version: 1, sha256Hash: sha(q) } } });
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    const [jobsId, jobsDocument] = Object.entries(manifest).find(([, d]) => d.includes('query JobList'))!;
    const cases: [TestApp, string, number][] = [
      [t, apq('{ me { id: rowId } }', false), 0], // unknown: PersistedQueryNotFound
      [t, apq('{ me { id: rowId } }', true), 0], // stored by yoga's plugin
      [t, apq('{ me { id: rowId } }', false), 1], // known: run here
      [trusted, JSON.stringify({ documentId: jobsId }), 1],
      [trusted, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: jobsId.replace('sha256:', '') } } }), 1],
      [trusted, JSON.stringify({ documentId: 'sha256:0000' }), 0],
      [trusted, query(jobsDocument), 0], // a document text, even a listed one, is refused
      [trusted, JSON.stringify({ variables: {} }), 0],
    ];
    for (const [app, body, answeredHere] of cases) {
      const before = await metricValue(app.url, 'opsgraph_json_fast_path_requests_total');
      const init = { method: 'POST', headers: { 'content-type': 'application/json', ...viewer }, body };
      const fast = await fetch(app.url, init);
      const yoga = await app.app.yoga.fetch('http://localhost/graphql', init);
      expect({ body, status: fast.status, result: await fast.json() }).toEqual({ body, status: yoga.status, result: await yoga.json() });
      expect({ body, answeredHere: (await metricValue(app.url, 'opsgraph_json_fast_path_requests_total')) - before }).toEqual({ body, answeredHere });
    }
  });

  it('finishes its responses as yoga does: no-store, and br or gzip by Accept-Encoding above the size threshold', async () => {
    const viewer = { authorization: `Bearer ${await token('VIEWER')}` };
    const decode = (encoding: string | null, body: Buffer) =>
      (encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
    // The fast path over the network, bytes as sent (fetch would decompress them out of sight).
    const raw = (body: string, headers: Record<string, string>) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const req = httpRequest(t.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            const encoding = (res.headers['content-encoding'] as string | undefined) ?? null;
            resolve({ status: res.statusCode, cache: res.headers['cache-control'], vary: res.headers.vary ?? null, encoding, length: Number(res.headers['content-length']), sent: bytes.length, body: JSON.parse(decode(encoding, bytes)) });
          });
        });
        req.on('error', reject);
        req.end(body);
      });
    const viaYoga = async (body: string, headers: Record<string, string>) => {
      const res = await t.app.yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const bytes = Buffer.from(await res.arrayBuffer());
      const encoding = res.headers.get('content-encoding');
      return { status: res.status, cache: res.headers.get('cache-control'), vary: res.headers.get('vary'), encoding, length: Number(res.headers.get('content-length')), sent: bytes.length, body: JSON.parse(decode(encoding, bytes)) };
    };
    const large = query(getIntrospectionQuery());
    const manyErrors = query(`{ ${'nope '.repeat(60)}}`);
    const small = query('{ scanStats { total } }');
    const before = await fastPathRequests();
    let compressed = 0;
    for (const body of [large, manyErrors, small]) {
      for (const acceptEncoding of ['gzip', 'br', 'gzip, deflate, br', 'br;q=0, gzip', 'identity', undefined]) {
        const headers = { ...viewer, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) };
        const fast = await raw(body, headers);
        const yoga = await viaYoga(body, headers);
        expect({ acceptEncoding, ...fast, sent: undefined }).toEqual({ acceptEncoding, ...yoga, sent: undefined });
        expect(fast.cache).toBe('no-store');
        expect(fast.sent).toBe(fast.length);
        if (fast.encoding) compressed++;
        if (body === small) expect(fast.encoding).toBeNull();
      }
    }
    // large and manyErrors, each under gzip, br, "gzip, deflate, br" (br), "br;q=0, gzip" (gzip).
    expect(compressed).toBe(8);
    expect(await fastPathRequests()).toBe(before + 18);
    const gz = await raw(large, { ...viewer, 'accept-encoding': 'gzip' });
    expect(gz.sent as number).toBeLessThan(JSON.stringify(gz.body).length / 4);
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

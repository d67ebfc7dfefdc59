import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { LiveScansDocument } from './clients/persisted/gql/graphql.js';
import { token, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

// The request features of the HTTP layer (docs/requests.md: "Requests from
// browsers and clients"), each over the network against a listening server.

const MANIFEST = 'test/clients/persisted/gql/persisted-documents.json';
const t = useTestApp();
const configured = useTestApp({
  GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST,
  CORS_ORIGINS: 'https://ops.example.com,http://localhost:5173',
  GRAPHQL_BATCH_MAX: '2',
  HTTP_COMPRESSION_MIN_BYTES: 'off',
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** As sent on the wire. */
  bytes: Buffer;
  /** Decoded by its content-encoding, and parsed when it is JSON. */
  body: any;
}

/** One request with node:http, so the bytes are seen as sent (fetch would decompress them out of sight). */
function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) };
    const req = httpRequest(url, { method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const text = (encoding === 'gzip' ? gunzipSync(bytes) : encoding === 'br' ? brotliDecompressSync(bytes) : bytes).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).includes('json')) body = JSON.parse(text);
        resolve({ status: res.statusCode!, headers: res.headers, bytes, body });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('VIEWER')}`, ...headers },
    body: JSON.stringify(body),
  });

const get = async (url: string, params: Record<string, unknown>, headers: Record<string, string> = {}) => {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return raw(`${url}?${search}`, { headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${await token('VIEWER')}`, ...headers } });
};

describe('automatic persisted queries (Apollo APQ)', () => {
  const query = '{ me { id: rowId roles } }';
  const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  it('answers an unknown hash with PersistedQueryNotFound, stores the query sent with it, then runs the hash alone', async () => {
    const missing = await post(t.url, { extensions: apq(sha256(query)) });
    expect(missing.body).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    const registered = await post(t.url, { query, extensions: apq(sha256(query)) });
    expect(registered.body).toEqual({ data: { me: { id: 'test-viewer', roles: ['VIEWER'] } } });
    const byHash = await post(t.url, { extensions: apq(sha256(query)) });
    expect(byHash.body).toEqual(registered.body);
    // Apollo's useGETForHashedQueries: the hash as a GET.
    const overGet = await get(t.url, { extensions: apq(sha256(query)) });
    expect([overGet.status, overGet.body]).toEqual([200, registered.body]);
  });

  it('refuses a hash that is not the query\'s own, so no document can be planted under another\'s hash', async () => {
    const other = '{ me { id: rowId } }';
    const planted = await post(t.url, { query: '{ me { roles } }', extensions: apq(sha256(other)) });
    expect([planted.status, planted.body.errors[0].extensions.code]).toEqual([400, 'PERSISTED_QUERY_HASH_MISMATCH']);
    const stillMissing = await post(t.url, { extensions: apq(sha256(other)) });
    expect(stillMissing.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('holds a persisted query to the same limits', async () => {
    const wide = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id: rowId }`).join(' ')} }`;
    const refused = await post(t.url, { query: wide, extensions: apq(sha256(wide)) });
    expect(refused.body.errors.map((e: any) => e.extensions.code)).toEqual(['QUERY_ALIAS_LIMIT']);
    const again = await post(t.url, { extensions: apq(sha256(wide)) });
    expect(again.body.errors.map((e: any) => e.extensions.code)).toEqual(['QUERY_ALIAS_LIMIT']);
  });
});

describe('trusted documents (GRAPHQL_TRUSTED_DOCUMENTS)', () => {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  const [badgesId, badges] = Object.entries(manifest).find(([, doc]) => doc.includes('query Badges'))!;

  it('runs a document of the manifest named by its hash, as documentId or as Apollo sends it', async () => {
    const expected = { data: { __typename: 'Query', scanStats: { __typename: 'ScanStats', total: 0, stats: [] }, failureCount: { __typename: 'FailureCount', since: '1h', count: 0 } } };
    const byId = await post(configured.url, { documentId: badgesId, variables: { since: '1h' } });
    expect([byId.status, byId.body]).toEqual([200, expected]);
    const bare = badgesId.replace('sha256:', '');
    expect(sha256(badges)).toBe(bare);
    const apollo = await post(configured.url, { variables: { since: '1h' }, extensions: { persistedQuery: { version: 1, sha256Hash: bare } } });
    expect(apollo.body).toEqual(expected);
    const overGet = await get(configured.url, { variables: { since: '1h' }, extensions: { persistedQuery: { version: 1, sha256Hash: bare } } });
    expect([overGet.status, overGet.body]).toEqual([200, expected]);
  });

  it('refuses any document that is not in the manifest, and any document text at all', async () => {
    const unknown = await post(configured.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id: rowId } }') } } });
    expect([unknown.status, unknown.body.errors[0]]).toEqual([400, { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }]);
    for (const query of ['{ me { id: rowId } }', badges]) {
      const text = await post(configured.url, { query, variables: { since: '1h' } });
      expect([text.status, text.body.errors[0].extensions.code, text.body.data]).toEqual([400, 'PERSISTED_QUERY_ONLY', undefined]);
      const textOverGet = await get(configured.url, { query, variables: { since: '1h' } });
      expect([textOverGet.status, textOverGet.body.errors[0].extensions.code]).toEqual([400, 'PERSISTED_QUERY_ONLY']);
    }
    const nothing = await post(configured.url, { variables: {} });
    expect(nothing.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
  });

  it('holds graphql-ws to the manifest too: a listed document in any layout runs, anything else is refused', async () => {
    const client = wsClient(configured.wsUrl, await token('VIEWER'));
    const first = (query: string, extensions?: Record<string, unknown>) =>
      new Promise<any>((resolve) => {
        const stop = client.subscribe({ query, extensions }, {
          next: (value) => (stop(), resolve(value)),
          error: (error) => resolve({ errors: error }),
          complete: () => {},
        });
      });
    try {
      // Apollo's and urql's layout (graphql-js print), not the manifest's compact one.
      const live = await first(print(LiveScansDocument));
      expect(live).toEqual({ data: { scanStats: { __typename: 'ScanStats', total: 0, stats: [] } } });
      const [liveId] = Object.entries(manifest).find(([, doc]) => doc.includes('subscription LiveScans'))!;
      expect(await first('', { persistedQuery: { version: 1, sha256Hash: liveId } })).toEqual(live);
      for (const query of ['subscription { deadLetterCount }', '{ me { id: rowId } }', 'subscription LiveScans { scanStats { total } }']) {
        const refused = await first(query);
        expect({ query, errors: refused.errors }).toEqual({ query, errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }] });
      }
    } finally {
      await client.dispose();
    }
  });

  it('stops the server at start when the manifest is missing or malformed', async () => {
    const { readManifest } = await import('../src/yoga/persisted.js');
    expect(() => readManifest('no/such/manifest.json')).toThrow(ConfigError);
    expect(() => readManifest('package.json')).toThrow(/not a manifest/);
    expect(readManifest(MANIFEST).get(badgesId.replace('sha256:', ''))).toBe(badges);
  });
});

describe('batching (Apollo BatchHttpLink)', () => {
  it('answers a JSON array with an array of results, each operation under the same limits', async () => {
    const batch = [
      { query: '{ me { id: rowId } }' },
      { query: 'query F($s: String!) { failureCount(since: $s) { count } }', variables: { s: '15m' } },
      { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id: rowId }`).join(' ')} }` },
      { query: '{ me { id: rowId } }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id: rowId } }') } } },
    ];
    const res = await post(t.url, batch);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { data: { me: { id: 'test-viewer' } } },
      { data: { failureCount: { count: 0 } } },
      { errors: [expect.objectContaining({ extensions: { code: 'QUERY_ALIAS_LIMIT' } })] },
      { data: { me: { id: 'test-viewer' } } },
    ]);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a batch over the maximum (default 10; GRAPHQL_BATCH_MAX): none runs, each gets the refusal', async () => {
    const ten = await post(t.url, Array.from({ length: 10 }, () => ({ query: '{ me { id: rowId } }' })));
    expect([ten.status, ten.body.length]).toEqual([200, 10]);
    const refusal = (max: number, size: number) => ({
      errors: [{ message: `Batching is limited to ${max} operations per request; this batch has ${size}, and none of them ran.`, extensions: { code: 'BATCH_LIMIT_EXCEEDED' } }],
    });
    const scan = { query: 'mutation { recordScan(input: { scanType: "batch", subjectId: "b" }) { id } }' };
    const eleven = await post(t.url, Array.from({ length: 11 }, () => scan), { authorization: `Bearer ${await token('OPERATOR')}` });
    expect([eleven.status, eleven.body]).toEqual([200, Array.from({ length: 11 }, () => refusal(10, 11))]);
    const total = await post(t.url, { query: '{ scanStats { total } }' });
    expect(total.body).toEqual({ data: { scanStats: { total: 0 } } });
    const three = await post(configured.url, Array.from({ length: 3 }, () => ({ documentId: 'x' })));
    expect(three.body).toEqual(Array.from({ length: 3 }, () => refusal(2, 3)));
    // An array of more than 100 is refused whole, unread.
    const flood = await post(t.url, Array.from({ length: 101 }, () => ({ query: '{ me { id: rowId } }' })));
    expect([flood.status, flood.body.errors[0].message]).toEqual([413, 'Batching is limited to 100 operations per request.']);
    expect(loadConfig({ GRAPHQL_BATCH_MAX: '0' }).batchMax).toBe(0);
  });
});

describe('compression and cache headers', () => {
  it('compresses a large response with br or gzip, on GET and POST, and leaves small ones alone', async () => {
    const introspection = getIntrospectionQuery();
    for (const [encoding, send] of [
      ['br', (h: Record<string, string>) => get(t.url, { query: introspection }, h)],
      ['gzip', (h: Record<string, string>) => post(t.url, { query: introspection }, { accept: 'application/graphql-response+json', ...h })],
    ] as const) {
      const res = await send({ 'accept-encoding': encoding });
      expect([res.status, res.headers['content-encoding'], res.headers.vary]).toEqual([200, encoding, 'Accept-Encoding']);
      expect(res.body.data.__schema.queryType.name).toBe('Query');
      expect(res.bytes.length).toBeLessThan(JSON.stringify(res.body).length / 4);
      expect(Number(res.headers['content-length'])).toBe(res.bytes.length);
    }
    const small = await get(t.url, { query: '{ me { id: rowId } }' }, { 'accept-encoding': 'gzip, br' });
    expect([small.headers['content-encoding'], small.body]).toEqual([undefined, { data: { me: { id: 'test-viewer' } } }]);
    const off = await raw(`${configured.url}?query=${encodeURIComponent(introspection)}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(off.headers['content-encoding']).toBeUndefined();
  });

  it('sends Cache-Control: no-store with every GraphQL response: data, errors, refusals', async () => {
    const answers = [
      await get(t.url, { query: '{ me { id: rowId } }' }),
      await get(t.url, { query: '{ nope }' }),
      await get(t.url, { query: 'mutation { markNotificationRead(id: "1") { id } }' }),
      await post(t.url, { query: '{ me { id: rowId } }' }),
      await post(t.url, { query: '{ me { id: rowId } }' }, { accept: 'application/graphql-response+json' }),
      await post(t.url, { query: '{ me { id' }),
    ];
    expect(answers.map((a) => [a.status, a.headers['cache-control']])).toEqual([
      [200, 'no-store'],
      [400, 'no-store'],
      [405, 'no-store'],
      [200, 'no-store'],
      [200, 'no-store'],
      [200, 'no-store'], // a syntax error under application/json, which the fast path answers
    ]);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    raw(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });

  it('by default lets any origin read responses, never with credentials', async () => {
    const pre = await preflight(t.url, 'https://anywhere.example');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://anywhere.example');
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/authorization/);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const res = await post(t.url, { query: '{ me { id: rowId } }' }, { origin: 'https://anywhere.example' });
    expect([res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials']]).toEqual(['https://anywhere.example', undefined]);
    expect(res.headers['access-control-expose-headers']).toBe('x-request-id');
  });

  it('with CORS_ORIGINS, answers only the listed origins (credentials allowed) and gives others no CORS headers', async () => {
    for (const origin of ['https://ops.example.com', 'http://localhost:5173']) {
      const pre = await preflight(configured.url, origin);
      expect([pre.headers['access-control-allow-origin'], pre.headers['access-control-allow-credentials']]).toEqual([origin, 'true']);
    }
    const stranger = await preflight(configured.url, 'https://evil.example');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    const res = await post(configured.url, { documentId: 'x' }, { origin: 'https://evil.example' });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('reads CORS_ORIGINS strictly', () => {
    expect(loadConfig({}).corsOrigins).toBe('*');
    expect(loadConfig({ CORS_ORIGINS: 'none' }).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example:8443' }).corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    for (const bad of ['https://a.example/', 'a.example', 'ftp://a.example', 'https://a.example,*']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
  });
});

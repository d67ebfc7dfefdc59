// THREAT: small leaks and slow clients.
// - /readyz quoted PostgreSQL's error text (host, user, database name).
// - A body that is not JSON was answered with extensions.originalError, quoting the body.
// - The GraphiQL and badge pages had no Content-Security-Policy, so an injected
//   script could read the tokens pasted into them.
// - A request whose headers or body never arrive held its socket for about
//   330 s (Node's defaults).
// DEFENCE: /readyz answers "ready" or "not ready" (the reason goes to the log);
// originalError is kept out of every response; both pages run only this
// server's scripts (`default-src 'self'`, Monaco's workers from blob:; no inline
// script); headers and whole requests have deadlines.
// SETTING: HTTP_HEADERS_TIMEOUT (10s), HTTP_REQUEST_TIMEOUT (30s).
// (test/browser.test.ts checks in Chromium that both pages work under their CSP.)
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { createOpsRoutes } from '../../src/http.js';
import { createLogger } from '../../src/logger.js';
import { useTestApp } from '../helpers.js';

const t = useTestApp({ HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' });

describe('/readyz', () => {
  let server: Server;
  afterAll(() => server?.close());

  it('says "not ready" and nothing about the database when it is down', async () => {
    // A pool whose every query fails the way PostgreSQL does when the database is gone.
    const failing = (() => Promise.reject(new Error('database "opsgraph_secret_name" does not exist (host db.internal:5432, user ops)'))) as unknown as Sql;
    server = createServer(async (req, res) => {
      if (!(await createOpsRoutes(failing, t.app.config, createLogger('silent'), { draining: false })(req, res))) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('not ready\n');
  });

  it('says only "ready" when it is', async () => {
    const res = await fetch(t.url.replace('/graphql', '/readyz'));
    expect([res.status, await res.text()]).toEqual([200, 'ready\n']);
  });
});

describe('invalid JSON', () => {
  it('is a 400 BAD_REQUEST without originalError, on the fast path and through yoga alike', async () => {
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json']) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (accept) headers.accept = accept;
      const res = await fetch(t.url, { method: 'POST', headers, body: '{"query": "{ me { id } }", "secret": "s3cr3t-body"' });
      const text = await res.text();
      expect(res.status, accept).toBe(400);
      expect(JSON.parse(text)).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
      expect(text).not.toMatch(/originalError|s3cr3t|SyntaxError/);
    }
  });
});

describe('Content-Security-Policy on the HTML pages', () => {
  it('the badge page and GraphiQL allow only this server\'s scripts, and GraphiQL has no inline script', async () => {
    const badge = await fetch(t.url.replace('/graphql', '/'));
    const graphiql = await fetch(t.url, { headers: { accept: 'text/html' } });
    for (const res of [badge, graphiql]) {
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toMatch(/default-src 'self'/);
      expect(policy).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
      expect(policy).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const html = await graphiql.text();
    // Every <script> has a src, or is a JSON data block (never run).
    for (const tag of html.matchAll(/<script([^>]*)>/g)) expect(tag[1], tag[0]).toMatch(/src=|type="application\/json"/);
  });
});

describe('slow clients', () => {
  /** Opens a raw connection, sends `data`, and resolves with what came back and how long the server waited. */
  function hold(data: string): Promise<{ ms: number; answer: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () => socket.write(data));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
      socket.on('error', () => {});
    });
  }

  it('drops a request whose headers never finish after HTTP_HEADERS_TIMEOUT', async () => {
    const { ms, answer } = await hold('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    expect(ms).toBeLessThan(5_000);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(answer).toMatch(/^HTTP\/1.1 408|^$/);
  });

  it('drops a request whose body never arrives after HTTP_REQUEST_TIMEOUT', async () => {
    const { ms, answer } = await hold('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query"');
    expect(ms).toBeLessThan(6_000);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(answer).toMatch(/^HTTP\/1.1 408|^$/);
  });
});

import { describe, expect, it } from 'vitest';
import { useTestApp } from './helpers.js';

describe('the dashboard page and its static files', () => {
  const t = useTestApp();
  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, t.url), { headers });

  it('serves the page at / with a strict content security policy', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toContain('<script type="module" src="/assets/app.js"></script>');
  });

  it('serves its scripts and the browser build of graphql-ws as JavaScript', async () => {
    for (const path of ['/assets/app.js', '/assets/graphiql-fetcher.js', '/assets/operation-type.js', '/assets/vendor/graphql-ws/client.js']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('text/javascript; charset=utf-8');
    }
    // The client's own imports are relative, so the browser can follow them.
    const client = await (await get('/assets/vendor/graphql-ws/client.js')).text();
    const imports = [...client.matchAll(/^(?:import|export)\b[^;]*? from '([^']+)'/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    for (const target of imports) {
      expect(target.startsWith('./')).toBe(true);
      expect((await get(new URL(target, new URL('/assets/vendor/graphql-ws/client.js', t.url)).pathname)).status).toBe(200);
    }
    expect((await get('/assets/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to a revalidation with the same etag, and HEAD without a body', async () => {
    const first = await get('/assets/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    expect((await get('/assets/app.js', { 'if-none-match': etag })).status).toBe(304);
    const head = await fetch(new URL('/assets/app.js', t.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves nothing outside its directories, nor other kinds of files inside them', async () => {
    for (const path of [
      '/assets/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fsrc%2fapp.ts',
      '/assets/vendor/graphql-ws/%2e%2e/package.json',
      '/assets/vendor/graphql-ws/client.d.ts',
      '/assets/vendor/graphql-ws/client.cjs',
      '/assets/%00app.js',
      '/assets/%E0%A4%A',
      '/assets/nope.js',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
    }
  });

  it('leaves POST / and other paths to GraphQL, and serves GraphiQL from this server, not a CDN', async () => {
    expect((await fetch(new URL('/', t.url), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    const graphiql = await get('/graphql', { accept: 'text/html' });
    expect(graphiql.status).toBe(200);
    const html = await graphiql.text();
    expect(html).toContain('/assets/vendor/graphiql/graphiql.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of html.matchAll(/'(\/assets\/vendor\/graphiql\/[^']+)'|"(\/assets\/vendor\/graphiql\/[^"]+)"/g)) {
      const path = asset[1] ?? asset[2]!;
      expect((await get(path)).status, path).toBe(200);
    }
    // Monaco's workers, which the bundle starts from its own directory.
    for (const worker of ['editor', 'json', 'graphql']) {
      const response = await get(`/assets/vendor/graphiql/${worker}.worker.js`);
      expect(response.status, worker).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    }
  });
});

import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { globalId } from '../src/global-ids.js';
import { MeDocument, type MeQuery } from './gql/graphql.js';
import { token, useTestApp } from './helpers.js';
import { wsClient, wsOnce } from './ws-client.js';

const t = useTestApp();

describe('the HTTP server', () => {
  it('answers /healthz and /readyz with 200', async () => {
    const base = t.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
  });

  it('serves GraphQL over real HTTP with a bearer token', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('VIEWER', 'bob')}` },
      body: JSON.stringify({ query: print(MeDocument) }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: MeQuery };
    expect(body).toEqual({ data: { me: { id: globalId('Viewer', 'bob'), roles: ['VIEWER'] } } });
  });

  it('serves GraphiQL to browsers at /graphql', async () => {
    const res = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('GraphiQL');
  });

  it('masks internal errors', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id: rowId } ' }),
    });
    const body = await res.json();
    expect(body.errors[0].message).toMatch(/Syntax Error/);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('graphql-ws on the same port and path', () => {
  it('reads the token from connection_init', async () => {
    const client = wsClient(t.wsUrl, await token('OPERATOR', 'carol'));
    try {
      expect(await wsOnce(client, '{ me { id: rowId roles } }')).toEqual({ data: { me: { id: 'carol', roles: ['VIEWER', 'OPERATOR'] } } });
    } finally {
      await client.dispose();
    }
  });

  it('refuses a protected field over WS without a token, and with too low a role', async () => {
    const anonymous = wsClient(t.wsUrl, null);
    const viewer = wsClient(t.wsUrl, await token('VIEWER'));
    try {
      const a = await wsOnce(anonymous, '{ auditLog { totalCount } }');
      expect(a.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(a.data ?? null).toBeNull();
      const v = await wsOnce(viewer, '{ auditLog { totalCount } }');
      expect(v.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await anonymous.dispose();
      await viewer.dispose();
    }
  });
});

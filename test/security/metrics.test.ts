// THREAT: /metrics as an information leak and a memory sink. It was public:
// operation names, pool and queue sizes and error rates for anyone. Its
// operation-name labels were unbounded: 300 anonymous operations with made-up
// names grew it from 11.7 kB to 2.27 MB, and a 100 000-character name was
// stored whole as a label value.
// DEFENCE: /metrics is served to a bearer of METRICS_TOKEN, or on METRICS_PORT
// only, or (neither set, the default) to loopback peers only. A name over 64
// characters, or any name beyond the first METRICS_MAX_OPERATIONS distinct
// ones, is labelled `other`.
// SETTING: METRICS_TOKEN, METRICS_PORT, METRICS_MAX_OPERATIONS (100).
// CAVEAT: behind a reverse proxy on the same host every request comes from
// loopback: such deployments set METRICS_TOKEN or METRICS_PORT.
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { metricsAccess } from '../../src/http.js';
import { useTestApp } from '../helpers.js';

const SECRET = 'metrics-secret-0123456789';
const local = useTestApp({ HOST: '0.0.0.0', METRICS_MAX_OPERATIONS: '20' });
const tokened = useTestApp({ METRICS_TOKEN: SECRET });
const separate = useTestApp({ METRICS_PORT: '0' });

const metricsUrl = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/metrics');

describe('who reads /metrics', () => {
  it('by default: loopback peers (IPv4, IPv6, mapped), nobody else', async () => {
    const settings = local.app.config.metrics;
    const from = (remoteAddress: string, authorization?: string) => metricsAccess(settings, { headers: { authorization }, socket: { remoteAddress } }, false);
    expect(['127.0.0.1', '127.8.0.1', '::1', '::ffff:127.0.0.1'].map((a) => from(a))).toEqual(Array(4).fill('allowed'));
    expect(['192.0.2.7', '10.0.0.1', 'fd00::2', '::ffff:10.0.0.1', ''].map((a) => from(a))).toEqual(Array(5).fill('forbidden'));
    expect((await fetch(metricsUrl(local.url))).status).toBe(200);
  });

  it('by default, over a real non-loopback interface of this machine, refuses with 403', async (ctx) => {
    const address = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    // The decision itself is tested above on every machine; this one needs a non-loopback interface.
    if (!address) return ctx.skip();
    const port = new URL(local.url).port;
    const res = await fetch(`http://${address}:${port}/metrics`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toMatch(/opsgraph_/);
    expect((await fetch(`http://${address}:${port}/healthz`)).status).toBe(200);
  });

  it('with METRICS_TOKEN: only with that bearer token, from anywhere', async () => {
    expect((await fetch(metricsUrl(tokened.url))).status).toBe(401);
    expect((await fetch(metricsUrl(tokened.url), { headers: { authorization: 'Bearer wrong-secret-0123456789' } })).status).toBe(401);
    const ok = await fetch(metricsUrl(tokened.url), { headers: { authorization: `Bearer ${SECRET}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/opsgraph_ws_connections/);
    expect(metricsAccess(tokened.app.config.metrics, { headers: { authorization: `Bearer ${SECRET}` }, socket: { remoteAddress: '192.0.2.7' } }, false)).toBe('allowed');
  });

  it('with METRICS_PORT: on that port only, not on the API port', async () => {
    expect((await fetch(metricsUrl(separate.url))).status).toBe(404);
    expect(separate.metricsPort).not.toBe(new URL(separate.url).port);
    const res = await fetch(`http://127.0.0.1:${separate.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/opsgraph_ws_connections/);
    // That port serves nothing else.
    expect((await fetch(`http://127.0.0.1:${separate.metricsPort}/graphql?query={__typename}`)).status).toBe(404);
  });
});

describe('operation-name labels', () => {
  it('fold names over 64 characters, and names beyond the first METRICS_MAX_OPERATIONS, into `other`', async () => {
    const run = (name: string) => local.gql(`query ${name} { __typename }`);
    await run('x'.repeat(100_000));
    for (let i = 0; i < 300; i++) await run(`made_up_${i}`);
    const text = await (await fetch(metricsUrl(local.url))).text();
    const labels = new Set([...text.matchAll(/opsgraph_graphql_request_duration_seconds_count\{operation="([^"]*)"/g)].map((m) => m[1]));
    expect(labels.has('other')).toBe(true);
    expect(labels.size).toBeLessThanOrEqual(21);
    expect(text).not.toMatch(/x{65}/);
    expect(text.length).toBeLessThan(200_000);
  });
});

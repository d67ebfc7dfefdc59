// The helpers every other test file relies on (test/helpers.ts): their
// requests must take the path production requests take, and their servers
// must go away without a trace, or the suite would test something else.
import { describe, expect, it } from 'vitest';
import { metricValue, startTestServer, until, useSecondInstance, useTestApp } from './helpers.js';

const t = useTestApp();
const second = useSecondInstance(t);
const off = useTestApp({ GRAPHQL_JSON_FAST_PATH: 'off' });

/** Answered by src/yoga/json-post.ts; the registry is this process's, shared by the servers above. */
const fastPathRequests = () => metricValue(t.url, 'opsgraph_json_fast_path_requests_total');

const socketsAndServers = () => process.getActiveResourcesInfo().filter((kind) => kind.startsWith('TCP')).length;

describe('test/helpers.ts', () => {
  it('gql goes over HTTP to the listening server and is answered by the JSON fast path; gqlViaYoga is not', async () => {
    const before = await fastPathRequests();
    const answer = await t.gql('{ me { id: rowId roles } }', {}, 'VIEWER');
    expect(answer).toEqual({ data: { me: { id: 'test-viewer', roles: ['VIEWER'] } } });
    const refused = await t.gql('{ auditLog { totalCount } }', {}, 'VIEWER');
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const nobody = await t.gql('{ auditLog { totalCount } }');
    expect(nobody.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await fastPathRequests()).toBe(before + 3);

    // On purpose through yoga: the same answer, without the fast path.
    expect(await t.gqlViaYoga('{ me { id: rowId roles } }', {}, 'VIEWER')).toEqual(answer);
    // A server with the path turned off answers the helper's request through yoga.
    expect(await off.gql('{ me { id: rowId roles } }', {}, 'VIEWER')).toEqual(answer);
    expect(await fastPathRequests()).toBe(before + 3);
  });

  it('useSecondInstance is another server, on its own port, on the same database', async () => {
    expect(new URL(second.url).port).not.toBe(new URL(t.url).port);
    expect(second.databaseUrl).toBe(t.databaseUrl);
    const before = await fastPathRequests();
    const recorded = await second.gql('mutation { recordScan(input: { scanType: "helpers", subjectId: "s" }) { scanType } }', {}, 'OPERATOR');
    expect(recorded.errors).toBeUndefined();
    expect(await fastPathRequests()).toBe(before + 1);
    const [row] = await t.sql<{ n: number }[]>`select count(*)::int as n from scans where scan_type = 'helpers'`;
    expect(row!.n).toBe(1);
  });

  it('a started server, once stopped, leaves no port open and no socket behind', async () => {
    const resources = socketsAndServers();
    const server = await startTestServer(t.databaseUrl);
    // Keep-alive sockets on both sides: the helper's client and the server.
    for (let i = 0; i < 3; i++) expect((await server.gql('{ me { id: rowId } }', {}, 'VIEWER')).errors).toBeUndefined();
    expect(socketsAndServers()).toBeGreaterThan(resources);
    await server.stop();
    await expect(fetch(server.url, { method: 'POST', body: '{}' })).rejects.toThrow();
    await until(() => socketsAndServers() === resources);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { compiledOperations } from '../src/metrics.js';
import { codes, token, useTestApp, type GqlResult } from './helpers.js';

// The default: a query document's first run is graphql-js's, later runs graphql-jit's.
// (Every other test file compiles from the first run.) Each answer must be the same.
const t = useTestApp({ GRAPHQL_JIT_AFTER: '1' });

const compiled = async () => (await compiledOperations.get()).values[0]?.value ?? 0;

/** The same request three times: once on graphql-js, then twice compiled. */
async function thrice(query: string, variables?: Record<string, unknown>, as: Parameters<typeof t.gql>[2] = 'VIEWER'): Promise<GqlResult[]> {
  const results: GqlResult[] = [];
  for (let i = 0; i < 3; i++) results.push(await t.gql(query, variables, as));
  return results;
}

beforeAll(async () => {
  await t.sql`insert into jobs (id, version, description) values ('jit-a', '1', 'first'), ('jit-b', '2', null)`;
  await t.sql`insert into executions (job_id, version, initiated_by, target_count) values ('jit-a', '1', 'x', 3)`;
});

describe('compiled queries (graphql-jit)', () => {
  it('answers a list the same compiled as on graphql-js, and compiles its document once', async () => {
    const before = await compiled();
    const [first, ...later] = await thrice('{ jobs { id: rowId version description inventory live { running pending } scriptStatus createdAt } }');
    expect(first!.errors).toBeUndefined();
    expect(first!.data!.jobs.find((job: { id: string }) => job.id === 'jit-a')).toMatchObject({ live: { running: 0, pending: 1 } });
    for (const result of later) expect(result).toEqual(first);
    expect(await compiled()).toBe(before + 1);
  });

  it('refuses without a token with UNAUTHENTICATED, compiled or not, and no data', async () => {
    for (const result of await thrice('{ jobs { id live { running pending } } }', undefined, null)) {
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.data).toBeNull();
    }
  });

  it('refuses a role too low with FORBIDDEN, compiled or not', async () => {
    for (const result of await thrice('{ auditLog { totalCount } }')) {
      expect(codes(result)).toEqual(['FORBIDDEN']);
    }
  });

  it("keeps a domain error's message, path, locations and extensions.code", async () => {
    const query = 'query ($since: String!) {\n  ok: dashboard { deadLetterCount }\n    failureCount(since: $since) { count }\n}';
    const [first, ...later] = await thrice(query, { since: '8d' });
    expect(codes(first!)).toEqual(['BAD_USER_INPUT']);
    expect(first!.errors![0]).toMatchObject({ path: ['failureCount'], locations: [{ line: 3, column: 5 }] });
    for (const result of later) expect(result).toEqual(first);
  });

  it('coerces variables afresh on every run', async () => {
    const query = 'query ($id: ID!) { job(id: $id) { id: rowId version } }';
    for (const id of ['jit-a', 'jit-b', 'jit-a', 'none']) {
      const result = await t.gql(query, { id }, 'VIEWER');
      expect(result.errors).toBeUndefined();
      expect(result.data!.job?.id ?? null).toBe(id === 'none' ? null : id);
    }
    const missing = await t.gql(query, {}, 'VIEWER');
    expect(missing.errors).toHaveLength(1);
  });

  it('runs the operation a request names in a document of several, never a cached other one', async () => {
    const query = 'query A { job(id: "jit-a") { id: rowId } } query B { job(id: "jit-b") { id: rowId } }';
    for (const name of ['A', 'B', 'A', 'B', 'B', 'A']) {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('VIEWER')}` },
        body: JSON.stringify({ query, operationName: name }),
      });
      const result = (await res.json()) as GqlResult;
      expect(result.data!.job.id).toBe(name === 'A' ? 'jit-a' : 'jit-b');
    }
  });
});

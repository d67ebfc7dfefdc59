// GraphiQL opens with a query a newcomer can run as it stands, and its subscription twin is valid.
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GRAPHIQL_DEFAULT_QUERY } from '../src/graphiql/welcome.js';
import { schema } from '../src/schema/index.js';
import { useTestApp } from './helpers.js';

const t = useTestApp();

describe("GraphiQL's opening query", () => {
  it("is served in the page as the editor's query (public/graphiql-start.js opens it unless the address has ?query=)", async () => {
    const html = await (await fetch(t.url, { headers: { accept: 'text/html' } })).text();
    const config = /<script type="application\/json" id="graphiql-config">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(config!).query).toBe(GRAPHIQL_DEFAULT_QUERY);
  });

  it('runs for a VIEWER with no error, and says how to sign in and get demo data', async () => {
    const result = await t.gql(GRAPHIQL_DEFAULT_QUERY, {}, 'VIEWER');
    expect(result.errors).toBeUndefined();
    expect(result.data?.dashboard.scanStats.total).toBe(0);
    expect(GRAPHIQL_DEFAULT_QUERY).toMatch(/Authorization/);
    expect(GRAPHIQL_DEFAULT_QUERY).toMatch(/npm run seed/);
  });

  it('turned into a subscription, as its comment suggests, is valid', () => {
    const subscription = GRAPHIQL_DEFAULT_QUERY.replace(/^query /m, 'subscription ');
    expect(validate(schema, parse(subscription))).toEqual([]);
  });
});

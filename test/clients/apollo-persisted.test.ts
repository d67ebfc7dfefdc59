import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql, type DocumentNode } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { token, useTestApp } from '../helpers.js';
import { BadgesDocument, JobListDocument } from './persisted/gql/graphql.js';
import { recordingFetch } from './recording-fetch.js';

// Apollo Client 4's PersistedQueryLink against the real server: automatic
// persisted queries by default, and the trusted-documents mode with the
// manifest GraphQL Code Generator writes for these documents.

const MANIFEST = 'test/clients/persisted/gql/persisted-documents.json';
const t = useTestApp();
const trusted = useTestApp({ GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The codegen hash of a generated document (what the manifest is keyed by); other documents hash as Apollo does. */
const codegenHash = (document: DocumentNode) => (document as { __meta__?: { hash: string } }).__meta__?.hash ?? sha256(print(document));

async function apollo(url: string, options: ConstructorParameters<typeof PersistedQueryLink>[0]) {
  const recorded = recordingFetch();
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink(options).concat(
      new HttpLink({ uri: url, fetch: recorded.fetch, headers: { authorization: `Bearer ${await token('VIEWER')}` }, }),
    ),
  });
  return { client, sent: recorded.sent };
}

const bodyOf = (sent: { body: unknown; url: string }) =>
  (sent.body ?? Object.fromEntries([...new URL(sent.url).searchParams].map(([k, v]) => [k, k === 'query' || k === 'operationName' ? v : JSON.parse(v)]))) as {
    query?: string;
    extensions?: { persistedQuery?: { sha256Hash: string } };
  };

describe('Apollo PersistedQueryLink, automatic persisted queries', () => {
  it('falls back to the full query once on PersistedQueryNotFound, after which the hash alone works', async () => {
    const first = await apollo(t.url, { sha256 });
    const { data } = await first.client.query({ query: BadgesDocument, variables: { since: '1h' } });
    expect(data?.failureCount).toMatchObject({ since: '1h', count: 0 });
    expect(first.sent.map((s) => [s.method, bodyOf(s).query === undefined, typeof bodyOf(s).extensions?.persistedQuery?.sha256Hash])).toEqual([
      ['POST', true, 'string'], // the hash alone: PersistedQueryNotFound
      ['POST', false, 'string'], // the query with its hash: stored and answered
    ]);

    // Another client (another tab, another user): one request with the hash alone, also as GET.
    for (const [options, method] of [[{ sha256 }, 'POST'], [{ sha256, useGETForHashedQueries: true }, 'GET']] as const) {
      const next = await apollo(t.url, options);
      const again = await next.client.query({ query: BadgesDocument, variables: { since: '1h' } });
      expect(again.data).toEqual(data);
      expect(next.sent.map((s) => [s.method, bodyOf(s).query])).toEqual([[method, undefined]]);
    }
  });
});

describe('Apollo PersistedQueryLink, trusted documents (GRAPHQL_TRUSTED_DOCUMENTS)', () => {
  it('runs the manifest\'s documents by hash in one request each', async () => {
    const { client, sent } = await apollo(trusted.url, { generateHash: codegenHash });
    const badges = await client.query({ query: BadgesDocument, variables: { since: '15m' } });
    expect(badges.data?.scanStats).toEqual({ __typename: 'ScanStats', total: 0, stats: [] });
    const jobs = await client.query({ query: JobListDocument });
    expect(jobs.data?.jobs).toEqual([]);
    expect(sent.map((s) => bodyOf(s).query)).toEqual([undefined, undefined]);
  });

  it('refuses a document that is not in the manifest, even after Apollo falls back to sending it', async () => {
    const { client, sent } = await apollo(trusted.url, { generateHash: codegenHash });
    const error = await client.query({ query: gql`query Sneaky { me { id roles } }` }).then(
      () => null,
      (e: unknown) => e as { errors?: { extensions?: { code?: string } }[] },
    );
    expect(error?.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(sent.map((s) => bodyOf(s).query === undefined)).toEqual([true, false]);
  });
});

import { ApolloClient, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { describe, expect, it } from 'vitest';
import { token, useTestApp } from '../helpers.js';
import { BadgesDocument, DeadLettersDocument, JobListDocument } from './persisted/gql/graphql.js';
import { recordingFetch } from './recording-fetch.js';

// Apollo Client 4's BatchHttpLink: the queries a page issues together go as
// one JSON-array POST. Its default batchMax (10) is the server's default
// GRAPHQL_BATCH_MAX.

const t = useTestApp();

async function apollo(options: Partial<BatchHttpLink.Options> = {}) {
  const recorded = recordingFetch();
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new BatchHttpLink({ uri: t.url, fetch: recorded.fetch, headers: { authorization: `Bearer ${await token('VIEWER')}` }, ...options }),
  });
  return { client, sent: recorded.sent };
}

describe('Apollo BatchHttpLink', () => {
  it('sends the queries of one tick as one JSON array and gets each its own result', async () => {
    const { client, sent } = await apollo();
    const [badges, jobs, dead] = await Promise.all([
      client.query({ query: BadgesDocument, variables: { since: '1h' } }),
      client.query({ query: JobListDocument }),
      client.query({ query: DeadLettersDocument, variables: { first: 500 } }),
    ]);
    expect(badges.data?.failureCount).toMatchObject({ since: '1h', count: 0 });
    expect(jobs.data?.jobs).toEqual([]);
    expect(dead.data?.notifications.totalCount).toBe(0);
    expect(sent.length).toBe(1);
    expect((sent[0]!.body as unknown[]).length).toBe(3);
  });

  it('on its defaults splits 12 queries into batches the server takes (10 + 2)', async () => {
    const { client, sent } = await apollo();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => client.query({ query: BadgesDocument, variables: { since: `${i + 1}m` } })));
    expect(results.map((r) => r.data?.failureCount.since)).toEqual(Array.from({ length: 12 }, (_, i) => `${i + 1}m`));
    expect(sent.map((s) => (s.body as unknown[]).length)).toEqual([10, 2]);
  });

  it('gets a clear refusal for a batch over the server\'s maximum', async () => {
    const { client } = await apollo({ batchMax: 11 });
    const outcomes = await Promise.allSettled(Array.from({ length: 11 }, (_, i) => client.query({ query: BadgesDocument, variables: { since: `${i + 1}h` } })));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    for (const outcome of outcomes) {
      const reason = (outcome as PromiseRejectedResult).reason as Error & { errors?: { extensions?: { code?: string } }[] };
      expect(reason.message).toBe('Batching is limited to 10 operations per request; this batch has 11, and none of them ran.');
      expect(reason.errors?.map((e) => e.extensions?.code)).toEqual(['BATCH_LIMIT_EXCEEDED']);
    }
  });
});

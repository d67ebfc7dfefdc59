import { ClientError, GraphQLClient } from 'graphql-request';
import { describe, expect, it } from 'vitest';
import { token, useTestApp } from '../helpers.js';
import { BadgesDocument, DeadLettersDocument, RecordScanDocument } from './persisted/gql/graphql.js';
import { recordingFetch } from './recording-fetch.js';

// graphql-request 7 with the typed documents (colocated fragments), over POST
// (its default) and GET (`method: 'GET'`).

const t = useTestApp();

describe('graphql-request', () => {
  for (const method of ['POST', 'GET'] as const) {
    it(`runs typed documents over ${method}, and reports refusals with their code`, async () => {
      const recorded = recordingFetch();
      const client = new GraphQLClient(t.url, {
        ...(method === 'GET' ? { method: 'GET' } : {}),
        fetch: recorded.fetch,
        headers: { authorization: `Bearer ${await token('OPERATOR')}` },
      });
      const badges = await client.request(BadgesDocument, { since: '24h' });
      expect(badges.failureCount).toMatchObject({ since: '24h', count: 0 });
      // A page of 500, the contract's maximum, through colocated fragments.
      const dead = await client.request(DeadLettersDocument, { first: 500 });
      expect(dead.notifications).toEqual({ __typename: 'NotificationConnection', totalCount: 0, nodes: [] });
      expect(recorded.sent.map((r) => r.method)).toEqual([method, method]);

      const wide = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
      const refused = await client.request(wide).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ClientError);
      expect((refused as ClientError).response.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_ALIAS_LIMIT']);
    });
  }

  it('sends a mutation as POST even when set to GET (the server would refuse a mutation over GET)', async () => {
    const recorded = recordingFetch();
    const client = new GraphQLClient(t.url, { method: 'GET', fetch: recorded.fetch, headers: { authorization: `Bearer ${await token('OPERATOR')}` } });
    expect((await client.request(RecordScanDocument, { input: { scanType: 'meal', subjectId: 's-1' } })).recordScan.scanType).toBe('meal');
    expect((await client.request(BadgesDocument, { since: '1h' })).scanStats.total).toBe(1);
    expect(recorded.sent.map((r) => r.method)).toEqual(['POST', 'GET']);
  });
});

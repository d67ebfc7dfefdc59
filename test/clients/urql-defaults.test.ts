import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { token, useTestApp } from '../helpers.js';
import { BadgesDocument, JobListDocument, LiveScansDocument, RecordScanDocument } from './persisted/gql/graphql.js';
import { recordingFetch } from './recording-fetch.js';

// urql 6 exactly as its docs set it up: its default exchanges and options
// (queries go as GET), a bearer header, and its subscription exchange over graphql-ws.

const t = useTestApp();

describe('urql on its defaults', () => {
  it('runs queries (as GET), mutations (as POST) and a live subscription, with colocated fragments', async () => {
    const bearer = `Bearer ${await token('OPERATOR')}`;
    const ws = createWsClient({ url: t.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: bearer }, retryAttempts: 0 });
    const recorded = recordingFetch();
    const client = new Client({
      url: t.url,
      fetch: recorded.fetch,
      fetchOptions: () => ({ headers: { authorization: bearer } }),
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    try {
      const badges = await client.query(BadgesDocument, { since: '1h' }).toPromise();
      expect(badges.error).toBeUndefined();
      expect(badges.data?.scanStats.total).toBe(0);
      expect(badges.data?.failureCount).toMatchObject({ since: '1h', count: 0 });
      const jobs = await client.query(JobListDocument, {}).toPromise();
      expect([jobs.error, jobs.data?.jobs]).toEqual([undefined, []]);
      expect(recorded.sent.map((r) => r.method)).toEqual(['GET', 'GET']);

      // The live badge: its first value at once, then the change a mutation makes.
      const values: number[] = [];
      const errors: unknown[] = [];
      const live = client.subscription(LiveScansDocument, {}).subscribe((result) => {
        if (result.error) errors.push(result.error);
        else values.push(result.data!.scanStats.total);
      });
      while (values.length === 0) await new Promise((r) => setTimeout(r, 20));
      const scan = await client.mutation(RecordScanDocument, { input: { scanType: 'lunch', subjectId: 'badge-1' } }).toPromise();
      expect([scan.error, scan.data?.recordScan.scanType]).toEqual([undefined, 'lunch']);
      expect(recorded.sent.at(-1)!.method).toBe('POST');
      const deadline = Date.now() + 5000;
      while (values.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect([values, errors]).toEqual([[0, 1], []]);
      live.unsubscribe();
    } finally {
      await ws.dispose();
    }
  });

  it('tells a refused query from a typo by its code', async () => {
    const bearer = `Bearer ${await token('VIEWER')}`;
    const client = new Client({
      url: t.url,
      fetchOptions: { headers: { authorization: bearer } },
      exchanges: [cacheExchange, fetchExchange],
    });
    const wide = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const refused = await client.query(wide, {}).toPromise();
    expect(refused.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['QUERY_ALIAS_LIMIT']);
    expect(refused.error?.message).not.toMatch(/syntax/i);
    const typo = await client.query('{ nope }', {}).toPromise();
    expect(typo.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

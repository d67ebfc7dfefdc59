// urql 6 against opsgraph: Graphcache (normalised, keyed by __typename and id)
// plus the subscription exchange over graphql-ws. A subscription's push
// updates every cached query showing the same badge with no updater;
// test/clients/urql-graphcache.test.ts runs exactly this.
import { Client, fetchExchange, subscriptionExchange, type ClientOptions } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { createClient } from 'graphql-ws';
import type { Connection } from './client.js';

/** `webSocketImpl`: a WebSocket class where there is no global one (Node 20: the `ws` package). */
export function createUrqlClient({ url, token }: Connection, webSocketImpl?: unknown, options: Partial<ClientOptions> = {}) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const sockets = createClient({ url: url.replace(/^http/, 'ws'), connectionParams: headers, webSocketImpl });
  const client = new Client({
    url,
    fetchOptions: { headers },
    exchanges: [
      // The types without an id are parts of their parent (a ScanStat lives in its ScanStats).
      cacheExchange({ keys: { ScanStat: () => null, PageInfo: () => null } }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: sockets.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
    ...options,
  });
  return { client, close: () => sockets.dispose() };
}

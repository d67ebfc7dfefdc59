// Apollo Client 4 against opsgraph: queries and mutations over HTTP,
// subscriptions over graphql-ws, one InMemoryCache. The badge types carry ids,
// so a subscription's push updates every cached query showing the same badge
// with no cache code; test/clients/apollo-cache.test.ts runs exactly this.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import type { Connection } from './client.js';

/** `webSocketImpl`: a WebSocket class where there is no global one (Node 20: the `ws` package). */
export function createApolloClient({ url, token }: Connection, webSocketImpl?: unknown) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const sockets = createClient({ url: url.replace(/^http/, 'ws'), connectionParams: headers, webSocketImpl });
  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(sockets),
    new HttpLink({ uri: url, headers }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return {
    client,
    async close() {
      client.stop();
      await sockets.dispose();
    },
  };
}

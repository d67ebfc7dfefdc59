import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client that sends `authorization` in connection_init, as dashboards do. */
export function wsClient(url: string, bearer: string | null, options: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    onNonLazyError: () => {},
    connectionParams: bearer ? { authorization: `Bearer ${bearer}` } : {},
    ...options,
  });
}

/** Runs one query or mutation over the socket and returns its single result. */
export function wsOnce<T = Record<string, any>>(client: Client, query: string, variables?: Record<string, unknown>) {
  return new Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>((resolve, reject) => {
    let result: any;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = value),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => resolve(result),
      },
    );
  });
}

// What both examples share: where the server is, one typed request over HTTP,
// and one typed subscription over graphql-ws.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';

export interface Connection {
  /** The GraphQL endpoint over HTTP; graphql-ws uses the same URL with ws(s). */
  url: string;
  token: string | undefined;
}

/** OPSGRAPH_URL (default http://localhost:4000/graphql) and OPSGRAPH_TOKEN. */
export function connectionFromEnv(env: Record<string, string | undefined> = process.env): Connection {
  return { url: env.OPSGRAPH_URL || 'http://localhost:4000/graphql', token: env.OPSGRAPH_TOKEN || undefined };
}

interface ResultError {
  message: string;
  extensions?: { code?: string };
}

export class GraphQLRequestError extends Error {
  readonly codes: (string | undefined)[];
  constructor(errors: readonly ResultError[]) {
    super(errors.map((e) => (e.extensions?.code ? `${e.message} (${e.extensions.code})` : e.message)).join('; '));
    this.codes = errors.map((e) => e.extensions?.code);
  }
}

/** A query or mutation over HTTP POST; throws GraphQLRequestError if the server answers with errors. */
export async function request<Result, Variables>(
  connection: Connection,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  const response = await fetch(connection.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: ResultError[] };
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  return body.data!;
}

/** opsgraph closes a socket with this code when its token expires: retrying with the same token is pointless. */
const TOKEN_EXPIRED = 4403;

/** A graphql-ws client that reconnects for as long as the token is valid, and resubscribes. */
export function wsClient(connection: Connection, on?: ClientOptions['on']): Client {
  return createClient({
    url: connection.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: connection.token ? { authorization: `Bearer ${connection.token}` } : {},
    retryAttempts: Infinity,
    shouldRetry: (event) => (event as { code?: number } | undefined)?.code !== TOKEN_EXPIRED,
    on,
  });
}

/** Subscribes with a typed document; returns the function that unsubscribes. */
export function subscribe<Result, Variables>(
  client: Client,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  handlers: { next(data: Result): void; error(error: Error): void },
): () => void {
  return client.subscribe<Result>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => (result.errors?.length ? handlers.error(new GraphQLRequestError(result.errors)) : handlers.next(result.data!)),
      error: (error) =>
        handlers.error(
          Array.isArray(error)
            ? new GraphQLRequestError(error)
            : error instanceof Error
              ? error
              : new Error(`connection closed (${(error as { code?: number }).code ?? 'no code'})`),
        ),
      complete: () => {},
    },
  );
}

/** True when the file is the program node was started with, not an import. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === path.resolve(process.argv[1]);
}

import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { resolveCaller, type Caller } from './auth/context.js';
import type { VerifyToken } from './auth/tokens.js';
import type { Context } from './context.js';
import { FrameWriter } from './live/frame-writer.js';
import { setLongTimeout } from './timers.js';
import { wsConnections } from './metrics.js';
import { isLiveBadgeOperation, type LiveFanout } from './yoga/live-fanout.js';

type Executor = (args: ExecutionArgs) => unknown;

/** graphql-ws close code for an expired token: clients reconnect with a fresh one. */
export const TOKEN_EXPIRED = 4403;

/**
 * graphql-ws on the HTTP server's port and path. Every operation goes through
 * yoga's envelop (parse, validate, limits, context), exactly as over HTTP. The
 * token in connection_init is verified once per connection, and the socket is
 * closed with 4403 the moment it expires, so nothing streams past its expiry.
 */
export function attachGraphqlWs(
  server: Server,
  yoga: YogaServerInstance<Record<string, unknown>, Context>,
  verify: VerifyToken,
  fanout: LiveFanout,
): WebSocketServer {
  // Live badges write ready-made frames (src/live/frame-writer.ts), which needs uncompressed frames.
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint, perMessageDeflate: false });
  // Per connection: who it is (verified once), and where its live badges are written.
  const connections = new WeakMap<object, { caller: Caller; writer: FrameWriter }>();
  useServer(
    {
      execute: (args) => (args.rootValue as { execute: Executor }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: Executor }).subscribe(args) as never,
      onConnect: async (ctx) => {
        const caller = await resolveCaller(verify, ctx.connectionParams?.authorization);
        connections.set(ctx.extra, { caller, writer: new FrameWriter(ctx.extra.socket, ctx.extra.request.socket) });
        wsConnections.inc();
        ctx.extra.socket.once('close', () => wsConnections.dec());
        if (caller.expiresAt !== null) {
          // A dev token lives 30 days: past setTimeout's limit, so a plain timer would fire at once.
          const timer = setLongTimeout(() => ctx.extra.socket.close(TOKEN_EXPIRED, 'Token expired'), caller.expiresAt - Date.now());
          ctx.extra.socket.once('close', () => timer.clear());
        }
        return true;
      },
      onSubscribe: async (ctx, id, params) => {
        const connection = connections.get(ctx.extra)!;
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          caller: connection.caller,
          params,
        });
        let document;
        try {
          // graphql-armor's limits throw from parse and validate; either way it is the client's error.
          document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
        };
        if (isLiveBadgeOperation(schema, document, params.operationName)) {
          const result = await fanout.subscribe(args, { writer: connection.writer, id });
          // All graphql-ws keeps for the subscription's lifetime: no context, no envelop chain.
          return { schema, document, rootValue: { subscribe: () => result } };
        }
        return { ...args, rootValue: { execute, subscribe } };
      },
    },
    wsServer,
  );
  return wsServer;
}

import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { resolveCaller, type Caller } from './auth/context.js';
import type { VerifyToken } from './auth/tokens.js';
import type { Config } from './config.js';
import type { Context } from './context.js';
import { DomainError } from './errors.js';
import { isLiveBadgeOperation, type LiveFanout } from './live/fanout.js';
import { LiveSocket } from './live/socket-writes.js';
import type { Logger } from './logger.js';
import { wsConnections, wsLimits, wsRefusals } from './metrics.js';
import { setLongTimeout } from './timers.js';
import type { PersistedOperations } from './yoga/persisted.js';

type Executor = (args: ExecutionArgs) => unknown;

/** graphql-ws close code for a token that is not valid, or has expired: clients reconnect with a fresh one. */
export const TOKEN_EXPIRED = 4403;
/** Close code for a caller over WS_MAX_CONNECTIONS_PER_CALLER: "try again later". */
export const TOO_MANY_CONNECTIONS = 1013;

/** A refusal without `extensions.http` (the status yoga gives it over HTTP), which means nothing on a socket. */
function withoutHttp(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions });
}

/**
 * graphql-ws on the HTTP server's port and path. Every operation goes through
 * yoga's envelop (parse, validate, limits, context), exactly as over HTTP. The
 * token in connection_init is verified once per connection: a bad one closes
 * the socket with 4403 at once, and a good one closes it with 4403 the moment
 * it expires, so nothing streams past its expiry.
 *
 * Limits (each refusal counted in opsgraph_ws_refusals_total): frames over
 * WS_MAX_PAYLOAD bytes close the socket (1009) before they are parsed;
 * a subscription beyond WS_MAX_SUBSCRIPTIONS on one connection gets an `error`
 * message; a caller (token subject, or address when anonymous) beyond
 * WS_MAX_CONNECTIONS_PER_CALLER is closed with 1013; LIVE_MAX_GROUPS is
 * enforced by the fan-out (src/live/fanout.ts).
 */
export function attachGraphqlWs(
  server: Server,
  yoga: YogaServerInstance<Record<string, unknown>, Context>,
  verify: VerifyToken,
  fanout: LiveFanout,
  limits: Config['ws'],
  log: Logger,
  persisted: PersistedOperations,
): WebSocketServer {
  wsLimits.set({ limit: 'payload' }, limits.maxPayloadBytes);
  wsLimits.set({ limit: 'subscriptions' }, limits.maxSubscriptionsPerConnection);
  wsLimits.set({ limit: 'connections_per_caller' }, limits.maxConnectionsPerCaller);
  wsLimits.set({ limit: 'live_groups' }, limits.maxLiveGroups);
  // Live badges write ready-made frames (src/live/socket-writes.ts), which needs uncompressed frames.
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    perMessageDeflate: false,
    maxPayload: limits.maxPayloadBytes,
  });
  // Per connection: who it is (verified once), and where its live badges are written.
  const connections = new WeakMap<object, { caller: Caller; live: LiveSocket }>();
  const perCaller = new Map<string, number>();
  useServer(
    {
      // Close reasons carry no internal error messages, whatever NODE_ENV says.
      isProd: true,
      execute: (args) => (args.rootValue as { execute: Executor }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: Executor }).subscribe(args) as never,
      onConnect: async (ctx) => {
        // The connection_init payload's token, as browsers send it; else the upgrade request's Authorization
        // header, as a federation router sends a subgraph the caller's token (docs/frontend.md). A page
        // cannot set that header on a browser's WebSocket, so it comes only from programs.
        const caller = await resolveCaller(verify, ctx.connectionParams?.authorization ?? ctx.extra.request.headers.authorization);
        if (caller.authError) {
          wsRefusals.inc({ limit: 'token' });
          return false; // graphql-ws closes with 4403 Forbidden
        }
        const socket = ctx.extra.socket;
        const key = caller.user ? `sub:${caller.user.sub}` : `addr:${ctx.extra.request.socket.remoteAddress}`;
        const open = perCaller.get(key) ?? 0;
        if (open >= limits.maxConnectionsPerCaller) {
          wsRefusals.inc({ limit: 'connections_per_caller' });
          socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this caller');
          return false;
        }
        perCaller.set(key, open + 1);
        connections.set(ctx.extra, { caller, live: new LiveSocket(socket, ctx.extra.request.socket) });
        wsConnections.inc();
        socket.once('close', () => {
          wsConnections.dec();
          const left = (perCaller.get(key) ?? 1) - 1;
          if (left === 0) perCaller.delete(key);
          else perCaller.set(key, left);
        });
        if (caller.expiresAt !== null) {
          // A dev token lives 30 days: past setTimeout's limit, so a plain timer would fire at once.
          const timer = setLongTimeout(() => socket.close(TOKEN_EXPIRED, 'Token expired'), caller.expiresAt - Date.now());
          socket.once('close', () => timer.clear());
        }
        return true;
      },
      onSubscribe: async (ctx, id, params) => {
        // graphql-ws has already entered this one.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          wsRefusals.inc({ limit: 'subscriptions' });
          return [
            new DomainError(
              `At most ${limits.maxSubscriptionsPerConnection} operations may run at once on one connection (WS_MAX_SUBSCRIPTIONS)`,
              'TOO_MANY_SUBSCRIPTIONS',
            ),
          ];
        }
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
          // Under trusted documents only the manifest's documents run here too.
          const query = persisted.documentForSocket(params);
          if (query instanceof GraphQLError) return [query];
          // graphql-armor's limits throw from parse and validate; either way it is the client's error.
          document = parse(query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors.map(withoutHttp);
        } catch (error) {
          if (error instanceof GraphQLError) return [withoutHttp(error)];
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
          let result;
          try {
            result = await fanout.subscribe(args, { socket: connection.live, id });
          } catch (error) {
            if (error instanceof DomainError) return [error];
            throw error;
          }
          // All graphql-ws keeps for the subscription's lifetime: no context, no envelop chain.
          return { schema, document, rootValue: { subscribe: () => result } };
        }
        return { ...args, rootValue: { execute, subscribe } };
      },
    },
    wsServer,
  );
  // Registered after graphql-ws's own listener, so its per-socket error handler is in place to be
  // replaced: it writes every socket error (an oversized frame from anyone, say) to the console
  // with a stack. Here an oversized frame is counted, anything else logged once as a warning; ws
  // closes the socket itself (1009, 1002) either way.
  wsServer.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') wsRefusals.inc({ limit: 'payload' });
      else log.warn({ err: error }, 'graphql-ws socket error');
    });
  });
  return wsServer;
}

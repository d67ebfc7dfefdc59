import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { resolveCaller, type Caller } from './auth/context.js';
import { devSecret } from './auth/dev-secret.js';
import { createVerifier, signToken } from './auth/tokens.js';
import { startBackgroundWork } from './background.js';
import type { BackgroundTask } from './loop.js';
import { loadConfig, type Config } from './config.js';
import { formatDuration } from './duration.js';
import { ensureGraphiql } from './graphiql/bundle.js';
import { htmlSecurityHeaders, renderGraphiQL } from './graphiql/page.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql/welcome.js';
import type { Context, Services } from './context.js';
import { createSql, fetchArrayTypesOnce, type Sql } from './db/client.js';
import { shareReads } from './db/shared-reads.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { createOpsRoutes, readinessProbe, serveMetrics } from './http.js';
import { startLiveSystem } from './live/live-system.js';
import { createLogger, type Logger } from './logger.js';
import { liveStatements, registerPoolMetrics, registerReadiness } from './metrics.js';
import { schema } from './schema/index.js';
import { UnauthenticatedError } from './errors.js';
import { Drain, runSteps } from './shutdown.js';
import { attachGraphqlWs } from './ws.js';
import { compiledQueries } from './yoga/compiled-queries.js';
import { BATCH_HARD_CAP, batchLimit } from './yoga/batching.js';
import { corsOptions } from './yoga/cors.js';
import { httpResponsePlugin } from './yoga/http-response.js';
import { limitPlugins } from './yoga/limits.js';
import { persistedOperations } from './yoga/persisted.js';
import { errorMasking, hideOriginalErrors } from './yoga/mask-errors.js';
import { createJsonPostHandler } from './yoga/json-post.js';
import { sharedExecutionPlugin } from './yoga/shared-execution.js';
import { tokenExpiryPlugin } from './yoga/token-expiry.js';
import { databaseTimeoutPlugin } from './yoga/database-timeout.js';
import { observabilityPlugin, requestIdOf } from './yoga/observability.js';
import { startTracing } from './tracing/start.js';
import { tracedRequests } from './tracing/http.js';

/** Resolves with `promise`, or calls `expire` after `ms` and resolves with what follows from it. */
function withDeadline(promise: Promise<void>, ms: number, expire: () => void): Promise<void> {
  const timer = setTimeout(expire, ms);
  return promise.finally(() => clearTimeout(timer));
}

export interface App {
  config: Config;
  sql: Sql;
  log: Logger;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  /** Listens on HOST:PORT and starts the background work; resolves with the bound address. */
  start(): Promise<{ url: string; port: number; metricsPort: number | null }>;
  /**
   * With `drainMs`, first answers /readyz with 503 while serving on for that long (a second call
   * skips the rest of it: skipDrain). Then stops accepting, closes WebSocket clients with 1012,
   * finishes requests, background work and the pools, giving up on whatever is still running after
   * SHUTDOWN_TIMEOUT: `abandoned` names it.
   */
  stop(options?: { drainMs?: number }): Promise<{ abandoned: string[] }>;
  /** Ends a drain under way at once; false when there was none. */
  skipDrain(): boolean;
}

export interface AppHooks {
  /** Called with the text of every statement the pool sends; tests count round trips with it. */
  onQuery?: (query: string) => void;
  /** Turns tracing on with spans sent to this exporter (the tests' in-memory one), whatever OTEL_* says. */
  spanExporter?: import('@opentelemetry/sdk-trace-base').SpanExporter;
}

export async function buildApp(env: Record<string, string | undefined> = process.env, hooks: AppHooks = {}): Promise<App> {
  const config = loadConfig(env);
  const log = createLogger(config.logLevel, { sync: config.logSync });
  const instance = randomUUID().slice(0, 8);
  // OpenTelemetry, when OTEL_* turns it on (docs/operations.md "Tracing"): before the pools, whose statements it traces.
  const otel = await startTracing(env, instance, hooks.spanExporter, {
    failed: (err, spans) => log.warn({ err, droppedSpans: spans }, 'tracing: spans could not be exported; dropping them'),
    recovered: (spans) => log.info({ droppedSpans: spans }, 'tracing: spans are exported again'),
  });
  if (otel) {
    // Say where spans go, so that it can be checked; export failures are logged as they happen.
    const { exporter, url, protocol, sampler, ratio, serviceName } = otel.config;
    log.info({ traces: exporter === 'console' ? 'console' : url, protocol, sampler, ratio, serviceName }, 'tracing is on (OpenTelemetry)');
  }

  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    embedded = await startEmbeddedPostgres(config.dataDir, log, undefined, config.embeddedRootDir);
    databaseUrl = embedded.url;
  }
  // LISTEN and anything else that needs a session of its own (docs/scaling.md).
  const directUrl = config.databaseDirectUrl ?? databaseUrl;
  const applicationName = `opsgraph:${instance}`;
  const sql = createSql(
    databaseUrl,
    config.databasePoolMax,
    hooks.onQuery,
    applicationName,
    config.databaseMaxPipeline,
    config.databaseTransactionPoolMax,
    config.databasePreparedStatements,
  );
  registerPoolMetrics(sql, applicationName, { queries: config.databasePoolMax, transactions: config.databaseTransactionPoolMax });
  if (config.databaseSharedReads) shareReads(sql);
  // The live badges' own small pool: every statement on it is one run for live values (counted in
  // opsgraph_live_statements_total{kind="recompute"}, and named opsgraph-live:<instance> in pg_stat_activity).
  let liveCounting = false;
  const liveSql = createSql(
    databaseUrl,
    2,
    (query) => {
      if (liveCounting) liveStatements.inc({ kind: 'recompute' });
      hooks.onQuery?.(query);
    },
    `opsgraph-live:${instance}`,
    config.databaseMaxPipeline,
    1,
    config.databasePreparedStatements,
  );
  if (config.databaseSharedReads) shareReads(liveSql);
  if (config.graphiql) await ensureGraphiql((message) => log.info(message));
  const applied = await migrate(sql);
  if (applied.length > 0) log.info({ applied }, 'applied migrations');
  // Before any query that sends an array: postgres.js learns PostgreSQL's array types when a pool's
  // first connection opens (migrate only opened the transaction pool), and a `sql.array` on a pool that
  // has never connected is sent as text ("malformed array literal"). Once per pool, not per connection.
  await fetchArrayTypesOnce(sql);
  await fetchArrayTypesOnce(liveSql);
  liveCounting = true;

  const devMode = config.jwt.secret === null && config.jwt.jwksUrl === null;
  const dev = devMode ? await devSecret(config.dataDir) : null;
  const secret = dev ? dev.secret : config.jwt.secret;
  const verify = createVerifier({ ...config.jwt, secret });
  const services: Services = { sql, config, log };
  const masking = errorMasking(log);
  const { live, kills, fanout, close: closeLive } = startLiveSystem({
    databaseUrl: directUrl,
    sql,
    services: { sql: liveSql, config, log },
    instance,
    config,
    log,
    masking,
  });

  const compression = { minBytes: config.compressionMinBytes };
  const persisted = persistedOperations({ trustedDocuments: config.trustedDocuments, apqMaxEntries: 1000 });
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The server refuses a POST over MAX_BODY_BYTES, or of unknown length, before yoga runs (src/http.ts);
    // yoga's own limit would pipe every body through one more stream (about 5 % of a small query's CPU).
    maxRequestBodySize: false,
    graphiql: config.graphiql ? { title: 'opsgraph', subscriptionsProtocol: 'WS', defaultQuery: GRAPHIQL_DEFAULT_QUERY } : false,
    renderGraphiQL,
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error({ err: args.find((a) => a instanceof Error) }, args.map(String).join(' ')),
    },
    maskedErrors: masking,
    // Apollo's BatchHttpLink: a JSON array of operations, each parsed, limited and executed on its own
    // (GRAPHQL_BATCH_MAX is enforced by batchLimit, with a result per operation).
    batching: config.batchMax > 0 ? { limit: Math.max(config.batchMax, BATCH_HARD_CAP) } : false,
    cors: corsOptions(config.corsOrigins),
    plugins: [
      htmlSecurityHeaders(),
      hideOriginalErrors(),
      batchLimit(config.batchMax),
      persisted.plugin,
      ...limitPlugins(config),
      observabilityPlugin(config.metrics.maxOperations),
      sharedExecutionPlugin(),
      tokenExpiryPlugin(),
      ...compiledQueries(log, config.jitAfter),
      databaseTimeoutPlugin(config.databaseTimeoutMs),
      ...(otel?.plugins ?? []),
      // Last: it may replace the response (compression) after the others have set their headers.
      httpResponsePlugin(compression),
    ],
    context: async (initial) => {
      const request = (initial as { request?: Request }).request;
      // graphql-ws verified the token once, when the connection opened.
      let caller = (initial as { caller?: Caller }).caller ?? (await resolveCaller(verify, request?.headers.get('authorization')));
      if (caller.expiresAt !== null && caller.expiresAt <= Date.now()) {
        caller = { user: null, authError: new UnauthenticatedError('The token has expired'), expiresAt: null };
      }
      // A plain object with a fixed shape: envelop copies it into yoga's context with Object.assign,
      // which would call any getter at once, and a literal with a getter and a spread cost about 11 µs
      // per request against 0.6 µs for this one, the child logger included (bench/README.md, issue 20).
      return {
        sql,
        config,
        log: log.child({ reqId: requestIdOf(request) }),
        live,
        kills,
        user: caller.user,
        authError: caller.authError,
        tokenExpiresAt: caller.expiresAt,
        loaders: null,
      };
    },
  });

  const drain = new Drain();
  const ready = readinessProbe(sql);
  const opsRoutes = createOpsRoutes(sql, config, log, drain, ready);
  registerReadiness(async () => !drain.draining && (await ready()));
  const jsonPost = config.jsonFastPath ? createJsonPostHandler(yoga, log, { compression, persisted }) : async () => false;
  // A client that sends its headers or body slowly (or never) holds a socket only this long. Node checks
  // every connectionsCheckingInterval (30 s by default), so that is kept below the timeouts.
  const timeouts = {
    headersTimeout: config.http.headersTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, config.http.headersTimeoutMs / 2)),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // While draining, each answer closes its connection, so none is left idle for a balancer to reuse.
    if (drain.draining) res.setHeader('connection', 'close');
    if (await opsRoutes(req, res)) return;
    if (await jsonPost(req, res)) return;
    void yoga(req, res);
  };
  const server: Server = createServer(timeouts, otel ? tracedRequests(otel.tracing, yoga.graphqlEndpoint, handle) : handle);
  // METRICS_PORT: /metrics on a port of its own, which the deployment keeps off the public network.
  const metricsServer: Server | null =
    config.metrics.port === null
      ? null
      : createServer(timeouts, (req, res) => {
          if ((req.url ?? '/').split('?')[0] === '/metrics' && req.method === 'GET') void serveMetrics(config.metrics, req, res, true);
          else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
        });
  const wsServer = attachGraphqlWs(server, yoga, verify, fanout, config.ws, log, persisted);

  let background: BackgroundTask[] = [];
  let stopping: Promise<{ abandoned: string[] }> | null = null;

  return {
    config,
    sql,
    log,
    yoga,
    skipDrain: () => drain.skip(),
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metrics.port!, config.host, () => resolve());
        });
      }
      background = startBackgroundWork(services);
      const { port } = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      const url = `http://${host}:${port}/graphql`;
      log.info({ url, instance }, 'opsgraph is listening');
      if (devMode) {
        // 30 days, or JWT_MAX_LIFETIME if that is shorter: the server must accept the token it prints.
        const ttlSeconds = Math.floor(Math.min(30 * 86_400_000, config.jwt.maxLifetimeMs) / 1000);
        const token = await signToken(secret!, 'dev-superadmin', 'SUPERADMIN', ttlSeconds);
        console.log(
          [
            '',
            `opsgraph is up at ${url} (dev mode: JWT_SECRET is not set, so tokens are signed with the secret ${dev!.created ? 'generated' : 'kept'} in ${config.dataDir}).`,
            `Open it in a browser for GraphiQL, and paste this into its Headers tab (or the token alone into ${new URL('/', url).href}, the live badges):`,
            '',
            `  { "Authorization": "Bearer ${token}" }`,
            '',
            `That token is a SUPERADMIN for ${formatDuration(ttlSeconds * 1000)}; \`npm run token -- --role viewer --sub alice\` makes others.`,
            ...(embedded ? [`The embedded PostgreSQL keeps its data in ${embedded.dataDirectory}.`] : []),
            '`npm run seed` loads demo data (a new database shows zeros), and `npm run simulate` keeps the badges moving.',
            '',
          ].join('\n'),
        );
      }
      return { url, port, metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : null };
    },
    stop(options = {}) {
      stopping ??= (async () => {
        await drain.wait(options.drainMs ?? 0);
        // Stop accepting; WebSocket clients reconnect (through the balancer, to another instance) on 1012.
        server.close();
        metricsServer?.closeAllConnections();
        metricsServer?.close();
        for (const client of wsServer.clients) client.close(1012, 'Service restart');
        server.closeIdleConnections();
        const requestsDone = new Promise<void>((resolve) => server.once('close', () => resolve()));
        const abandoned = await runSteps(
          [
            // Half the time for requests in flight (an SSE stream never ends by itself): the rest for the steps after.
            ['requests in flight', () => withDeadline(requestsDone, config.shutdownTimeoutMs / 2, () => server.closeAllConnections())],
            ['background work', () => Promise.all(background.map((task) => task.stop()))],
            ['WebSocket connections', () => new Promise<void>((resolve) => wsServer.close(() => resolve()))],
            ['yoga', () => yoga.dispose()],
            ['LISTEN connection', closeLive],
            // After the work that makes spans: the last ones are exported before the process exits.
            ...(otel ? ([['traces', () => otel.shutdown()]] as const) : []),
            ['database pools', () => Promise.all([sql.end({ timeout: 2 }), liveSql.end({ timeout: 2 })])], // both pools (src/db/client.ts), and the live pool
            // Only when this process started one: an abandoned list must not name what does not exist.
            ...(embedded ? ([['embedded PostgreSQL', () => embedded!.stop()]] as const) : []),
          ],
          config.shutdownTimeoutMs,
          log,
        );
        if (abandoned.length > 0) {
          server.closeAllConnections();
          log.error({ abandoned, timeoutMs: config.shutdownTimeoutMs }, `shutdown timed out; abandoned: ${abandoned.join(', ')}`);
        }
        return { abandoned };
      })();
      return stopping;
    },
  };
}

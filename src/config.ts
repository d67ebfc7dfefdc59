import ipaddr from 'ipaddr.js';
import { parseDuration } from './duration.js';
import { signingKey } from './notifications/signing.js';

/** Every setting comes from the environment and is validated once, at start. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string | null;
  /**
   * The connection for what needs a session of its own (LISTEN, the heartbeat, session advisory
   * locks): PostgreSQL itself, never a transaction pooler. null: DATABASE_URL's (docs/scaling.md).
   */
  databaseDirectUrl: string | null;
  /**
   * Named prepared statements on the query and transaction pools. A transaction pooler (PgBouncer
   * before 1.21) hands each transaction another server connection, where the statement does not exist.
   */
  databasePreparedStatements: boolean;
  databasePoolMax: number;
  /**
   * postgres.js max_pipeline of the query pools: queries sent down one busy connection while none is
   * idle. 0 behind a transaction pooler, which loses a query pipelined behind another (src/db/client.ts).
   */
  databaseMaxPipeline: number;
  /** Connections of the pool that `sql.begin` uses (src/db/client.ts). */
  databaseTransactionPoolMax: number;
  /** Badge reads asked at the same moment share one statement (src/db/shared-reads.ts). */
  databaseSharedReads: boolean;
  dataDir: string;
  /** As root, where the embedded PostgreSQL's binaries and data live (src/db/embedded-root.ts). */
  embeddedRootDir: string;
  logLevel: string;
  /** One write(2) per log line (true) or pino's buffered asynchronous destination (false). */
  logSync: boolean;
  jwt: { secret: string | null; jwksUrl: string | null; issuer: string | null; audience: string | null; maxLifetimeMs: number };
  graphiql: boolean;
  introspection: boolean;
  maxBodyBytes: number;
  /** Longest string argument, in characters (src/schema/input-checks.ts). */
  maxStringLength: number;
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  /** /metrics: a bearer secret, a port of its own, or (neither) loopback peers only; operation labels kept. */
  metrics: { token: string | null; port: number | null; maxOperations: number };
  ws: { maxPayloadBytes: number; maxSubscriptionsPerConnection: number; maxConnectionsPerCaller: number; maxLiveGroups: number };
  limits: { depth: number; aliases: number; directives: number; tokens: number; cost: number };
  /** Operations a JSON-array POST may carry (Apollo's BatchHttpLink); 0: batching off. */
  batchMax: number;
  /** A persisted-documents manifest: only its documents run. null: automatic persisted queries beside plain ones. */
  trustedDocuments: string | null;
  /** `*`: any origin without credentials; a list: those origins (with credentials); []: none. */
  corsOrigins: '*' | string[];
  /** Responses of at least this many bytes are compressed (br or gzip); null: never. */
  compressionMinBytes: number | null;
  /** Executions of a query document on graphql-js before graphql-jit compiles it; null: never. */
  jitAfter: number | null;
  /** Plain JSON POSTs answered without yoga's Fetch-API layer (src/yoga/json-post.ts). */
  jsonFastPath: boolean;
  /** After SIGTERM, how long /readyz answers 503 while the instance keeps serving (docs/scaling.md). */
  shutdownDrainMs: number;
  /** After the drain, how long requests, sockets and background work may take before they are abandoned. */
  shutdownTimeoutMs: number;
  /** Queries and mutations the database has not answered by then get SERVICE_UNAVAILABLE. */
  databaseTimeoutMs: number;
  notifications: {
    worker: boolean;
    retryIntervalMs: number;
    maxAttempts: number;
    backoffUnitMs: number;
    backoffCapMs: number;
    webhookTimeoutMs: number;
    claimTtlMs: number;
    /** Host names, addresses and CIDR ranges webhooks may reach although they are not public. */
    webhookAllowHosts: string[];
    /** WEBHOOK_SIGNING_SECRET: `whsec_…` secrets, each signing every webhook; [] keeps them in the database. */
    webhookSigningSecrets: string[];
  };
  executions: { resultTimeoutMs: number; reaperIntervalMs: number; reaper: boolean };
  live: {
    coalesceMs: number;
    heartbeatMs: number;
    heartbeatTimeoutMs: number;
    /**
     * LIVE_LEADER (auto: on with DATABASE_URL, off with the embedded PostgreSQL, which only this
     * process serves): one instance of the cluster, elected with a session advisory lock on
     * DATABASE_DIRECT_URL, computes the live badges and publishes them on the bus; off: each
     * instance computes its own subscribers' badges (src/live/cluster.ts).
     */
    leader: boolean;
    /** REDIS_URL: the bus for live values is Redis; null: PostgreSQL (NOTIFY and the live_values table). */
    redisUrl: string | null;
    /** LIVE_ANNOUNCE_INTERVAL: how often each instance announces the full list of badge groups it wants. */
    announceMs: number;
    /** LIVE_LEADER_TIMEOUT: a leader whose heartbeat is older than this is deposed (its lock session terminated). */
    leaderTimeoutMs: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optional(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name, String(fallback));
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = text(env, name, fallback);
  const ms = parseDuration(raw);
  if (ms === null || ms === 0) {
    throw new ConfigError(`${name} must be a positive duration like 500ms, 10s, 2m, 1h or 1d, got "${raw}"`);
  }
  return ms;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name, fallback ? 'on' : 'off').toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

function list(env: Env, name: string, check: (item: string) => boolean, what: string): string[] {
  const items = (optional(env, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) if (!check(item)) throw new ConfigError(`${name} must be a comma-separated list of ${what}, got "${item}"`);
  return items;
}

/** Like list, but an error names the position of a malformed secret, never the secret. */
function signingSecrets(env: Env, name: string): string[] {
  const items = (optional(env, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  items.forEach((item, i) => {
    if (signingKey(item) === null) {
      throw new ConfigError(`${name} must be a comma-separated list of whsec_ secrets (whsec_ and 24 to 64 bytes in base64); item ${i + 1} is not one`);
    }
  });
  return items;
}

function isHostOrRange(item: string): boolean {
  if (item.includes('/')) {
    try {
      ipaddr.parseCIDR(item);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(item) || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(item);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = optional(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must be a ${protocols.join(' or ')} URL, got "${raw}"`);
  }
  return raw;
}

function origins(env: Env, name: string): '*' | string[] {
  const raw = text(env, name, '*').trim();
  if (raw === '*') return '*';
  if (raw.toLowerCase() === 'none') return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`${name} must be *, none, or a comma-separated list of origins like https://ops.example.com, got "${origin}"`);
    }
    return origin;
  });
}

export function loadConfig(env: Env = process.env): Config {
  const jwksUrl = url(env, 'JWT_JWKS_URL', ['http:', 'https:']);
  const secret = optional(env, 'JWT_SECRET');
  if (secret !== null && secret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters long');
  }
  const logLevel = text(env, 'LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`);
  }
  const backoffUnitMs = duration(env, 'NOTIFICATION_BACKOFF_UNIT', '1m');
  const backoffCapMs = duration(env, 'NOTIFICATION_BACKOFF_CAP', '1h');
  if (backoffCapMs < backoffUnitMs) {
    throw new ConfigError('NOTIFICATION_BACKOFF_CAP must not be shorter than NOTIFICATION_BACKOFF_UNIT');
  }
  if (duration(env, 'HTTP_REQUEST_TIMEOUT', '30s') < duration(env, 'HTTP_HEADERS_TIMEOUT', '10s')) {
    throw new ConfigError('HTTP_REQUEST_TIMEOUT must not be shorter than HTTP_HEADERS_TIMEOUT');
  }
  const metricsToken = optional(env, 'METRICS_TOKEN');
  if (metricsToken !== null && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters long');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const databaseDirectUrl = url(env, 'DATABASE_DIRECT_URL', ['postgres:', 'postgresql:']);
  if (databaseDirectUrl !== null && databaseUrl === null) {
    throw new ConfigError('DATABASE_DIRECT_URL needs DATABASE_URL: it is the session connection beside a pooler at DATABASE_URL');
  }
  // auto: a direct URL of its own means DATABASE_URL is a pooler, whose transaction mode loses named statements.
  const prepared = text(env, 'DATABASE_PREPARED_STATEMENTS', 'auto').toLowerCase();
  const behindPooler = databaseDirectUrl !== null && databaseDirectUrl !== databaseUrl;
  if (prepared !== 'auto' && !['on', 'true', '1', 'yes', 'off', 'false', '0', 'no'].includes(prepared)) {
    throw new ConfigError(`DATABASE_PREPARED_STATEMENTS must be auto, on or off, got "${prepared}"`);
  }
  // auto: nothing pipelined behind a pooler (src/db/client.ts says why), one query directly.
  const pipeline =
    text(env, 'DATABASE_MAX_PIPELINE', 'auto').toLowerCase() === 'auto' ? (behindPooler ? 0 : 1) : integer(env, 'DATABASE_MAX_PIPELINE', 1, 0, 1000);
  return {
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    databaseDirectUrl,
    databasePreparedStatements: prepared === 'auto' ? !behindPooler : onOff(env, 'DATABASE_PREPARED_STATEMENTS', true),
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    databaseMaxPipeline: pipeline,
    databaseTransactionPoolMax: integer(env, 'DATABASE_TRANSACTION_POOL_MAX', 5, 1, 1000),
    databaseSharedReads: onOff(env, 'DATABASE_SHARED_READS', true),
    dataDir: text(env, 'DATA_DIR', './.data'),
    embeddedRootDir: text(env, 'EMBEDDED_ROOT_DIR', '/var/lib/opsgraph'),
    logLevel,
    logSync: onOff(env, 'LOG_SYNC', true),
    jwt: {
      secret,
      jwksUrl,
      issuer: optional(env, 'JWT_ISSUER'),
      audience: optional(env, 'JWT_AUDIENCE'),
      // A 30-day token (the one `npm start` prints) is accepted: exp − iat may equal it.
      maxLifetimeMs: duration(env, 'JWT_MAX_LIFETIME', '30d'),
    },
    graphiql: onOff(env, 'GRAPHIQL', true),
    introspection: onOff(env, 'GRAPHQL_INTROSPECTION', true),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1_000_000, 1_000, 100_000_000),
    maxStringLength: integer(env, 'MAX_STRING_LENGTH', 100_000, 1, 10_000_000),
    // Node's defaults (60 s, 300 s) let a client that never finishes its request hold a socket for minutes.
    http: {
      headersTimeoutMs: duration(env, 'HTTP_HEADERS_TIMEOUT', '10s'),
      requestTimeoutMs: duration(env, 'HTTP_REQUEST_TIMEOUT', '30s'),
    },
    metrics: {
      token: metricsToken,
      port: optional(env, 'METRICS_PORT') === null ? null : integer(env, 'METRICS_PORT', 0, 0, 65535),
      maxOperations: integer(env, 'METRICS_MAX_OPERATIONS', 100, 1, 10_000),
    },
    ws: {
      maxPayloadBytes: integer(env, 'WS_MAX_PAYLOAD', 65_536, 1_024, 100_000_000),
      maxSubscriptionsPerConnection: integer(env, 'WS_MAX_SUBSCRIPTIONS', 100, 1, 1_000_000),
      maxConnectionsPerCaller: integer(env, 'WS_MAX_CONNECTIONS_PER_CALLER', 1_000, 1, 10_000_000),
      maxLiveGroups: integer(env, 'LIVE_MAX_GROUPS', 1_000, 1, 10_000_000),
    },
    // graphql-armor's defaults, but for cost (docs/requests.md: "Query limits").
    limits: {
      depth: integer(env, 'GRAPHQL_MAX_DEPTH', 6, 1, 100),
      aliases: integer(env, 'GRAPHQL_MAX_ALIASES', 15, 0, 1000),
      directives: integer(env, 'GRAPHQL_MAX_DIRECTIVES', 50, 0, 1000),
      tokens: integer(env, 'GRAPHQL_MAX_TOKENS', 1000, 10, 100_000),
      cost: integer(env, 'GRAPHQL_MAX_COST', 50_000, 1, 10_000_000),
    },
    batchMax: integer(env, 'GRAPHQL_BATCH_MAX', 10, 0, 1000),
    trustedDocuments: optional(env, 'GRAPHQL_TRUSTED_DOCUMENTS'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    compressionMinBytes:
      text(env, 'HTTP_COMPRESSION_MIN_BYTES', '1024').toLowerCase() === 'off' ? null : integer(env, 'HTTP_COMPRESSION_MIN_BYTES', 1024, 0, 100_000_000),
    jsonFastPath: onOff(env, 'GRAPHQL_JSON_FAST_PATH', true),
    jitAfter: text(env, 'GRAPHQL_JIT_AFTER', '1').toLowerCase() === 'off' ? null : integer(env, 'GRAPHQL_JIT_AFTER', 1, 0, 1000),
    // A balancer that checks /readyz every second and marks an instance down after 2 failures has
    // stopped sending new requests after about 2 s; Kubernetes endpoints follow within a few seconds.
    shutdownDrainMs: text(env, 'SHUTDOWN_DRAIN', '5s') === '0' ? 0 : duration(env, 'SHUTDOWN_DRAIN', '5s'),
    shutdownTimeoutMs: duration(env, 'SHUTDOWN_TIMEOUT', '10s'),
    databaseTimeoutMs: duration(env, 'DATABASE_TIMEOUT', '15s'),
    notifications: {
      worker: onOff(env, 'NOTIFICATION_WORKER', true),
      retryIntervalMs: duration(env, 'NOTIFICATION_RETRY_INTERVAL', '2m'),
      maxAttempts: integer(env, 'NOTIFICATION_MAX_ATTEMPTS', 5, 1, 100),
      backoffUnitMs,
      backoffCapMs,
      webhookTimeoutMs: duration(env, 'NOTIFICATION_WEBHOOK_TIMEOUT', '10s'),
      claimTtlMs: duration(env, 'NOTIFICATION_CLAIM_TTL', '5m'),
      webhookAllowHosts: list(env, 'WEBHOOK_ALLOW_HOSTS', isHostOrRange, 'host names, IP addresses or CIDR ranges'),
      webhookSigningSecrets: signingSecrets(env, 'WEBHOOK_SIGNING_SECRET'),
    },
    executions: {
      resultTimeoutMs: duration(env, 'EXECUTION_RESULT_TIMEOUT', '24h'),
      reaperIntervalMs: duration(env, 'EXECUTION_REAPER_INTERVAL', '1m'),
      reaper: onOff(env, 'EXECUTION_REAPER', true),
    },
    live: {
      coalesceMs: duration(env, 'LIVE_COALESCE_INTERVAL', '100ms'),
      heartbeatMs: duration(env, 'LISTEN_HEARTBEAT_INTERVAL', '10s'),
      heartbeatTimeoutMs: duration(env, 'LISTEN_HEARTBEAT_TIMEOUT', '5s'),
      leader: text(env, 'LIVE_LEADER', 'auto').toLowerCase() === 'auto' ? databaseUrl !== null : onOff(env, 'LIVE_LEADER', true),
      redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
      announceMs: duration(env, 'LIVE_ANNOUNCE_INTERVAL', '5s'),
      leaderTimeoutMs: duration(env, 'LIVE_LEADER_TIMEOUT', '1s'),
    },
  };
}

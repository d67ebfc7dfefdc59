import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import ipaddr from 'ipaddr.js';
import type { Config } from './config.js';
import type { Sql } from './db/client.js';
import type { Logger } from './logger.js';
import { migrationsApplied } from './db/migrate.js';
import { registry } from './metrics.js';
import { serveStatic } from './static.js';

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may read /metrics (operation names, pool and queue sizes, error rates:
 * a map of the server for an attacker). With METRICS_TOKEN, whoever sends it
 * as a bearer token; otherwise, with METRICS_PORT, anyone who reaches that
 * port (the deployment keeps it private); with neither, loopback peers only.
 * Behind a reverse proxy on the same host every request comes from loopback,
 * so such a deployment sets METRICS_TOKEN or METRICS_PORT.
 */
export function metricsAccess(
  metrics: Config['metrics'],
  req: Pick<IncomingMessage, 'headers'> & { socket: { remoteAddress?: string } },
  onMetricsPort: boolean,
): 'allowed' | 'unauthorized' | 'forbidden' {
  if (metrics.token !== null) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return match && sameSecret(match[1]!, metrics.token) ? 'allowed' : 'unauthorized';
  }
  if (onMetricsPort) return 'allowed';
  const peer = req.socket.remoteAddress ?? '';
  return ipaddr.isValid(peer) && ipaddr.process(peer).range() === 'loopback' ? 'allowed' : 'forbidden';
}

/** Answers /metrics (and only that) as `metricsAccess` allows. */
export async function serveMetrics(metrics: Config['metrics'], req: IncomingMessage, res: ServerResponse, onMetricsPort: boolean): Promise<void> {
  const access = metricsAccess(metrics, req, onMetricsPort);
  if (access === 'unauthorized') {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' });
    res.end('/metrics needs the METRICS_TOKEN bearer token\n');
    return;
  }
  if (access === 'forbidden') return send(res, 403, '/metrics is served to loopback peers only unless METRICS_TOKEN or METRICS_PORT is set\n');
  send(res, 200, await registry.metrics(), registry.contentType);
}

/**
 * What the server answers before GraphQL: liveness, readiness, Prometheus
 * metrics, the body-size cap, and the dashboard page with its static files.
 * Returns false when GraphQL should answer.
 */
/**
 * The check behind /readyz (and the opsgraph_ready gauge): true when both pools answer and every
 * migration is applied, false while one is missing; rejects with the database's error or a timeout.
 */
export function readinessProbe(sql: Sql): () => Promise<boolean> {
  let migrated = false;
  return async () => {
    await withTimeout(sql`select 1`, 2000);
    // The transaction pool too (src/db/client.ts): each pool reconnects on its own after an outage.
    await withTimeout(sql.begin((tx) => tx`select 1`), 2000);
    migrated ||= await withTimeout(migrationsApplied(sql), 2000);
    return migrated;
  };
}

export function createOpsRoutes(
  sql: Sql,
  config: Pick<Config, 'maxBodyBytes' | 'metrics'>,
  log: Logger,
  drain: { draining: boolean },
  ready: () => Promise<boolean> = readinessProbe(sql),
) {
  const { maxBodyBytes } = config;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST') {
      const length = Number(req.headers['content-length']);
      // A body without a declared length could be of any size: refuse it rather than read it.
      if (req.headers['content-length'] === undefined) return send(res, 411, 'Content-Length required\n'), true;
      if (!Number.isFinite(length) || length > maxBodyBytes) {
        return send(res, 413, `Request body larger than ${maxBodyBytes} bytes\n`), true;
      }
    }
    if (path === '/healthz') {
      send(res, 200, 'ok\n');
      return true;
    }
    if (path === '/readyz') {
      // Shutting down: the balancer takes this instance out while it still serves (src/shutdown.ts).
      if (drain.draining) return send(res, 503, 'draining\n'), true;
      try {
        if (!(await ready())) return send(res, 503, 'not ready\n'), true;
        send(res, 200, 'ready\n');
      } catch (error) {
        // The reason goes to the log: PostgreSQL's error text names hosts, users and databases.
        log.warn({ err: error }, 'readiness check failed');
        send(res, 503, 'not ready\n');
      }
      return true;
    }
    if (path === '/metrics') {
      // With METRICS_PORT, /metrics lives there only.
      if (config.metrics.port !== null) return false;
      await serveMetrics(config.metrics, req, res, false);
      return true;
    }
    return serveStatic(req, res);
  };
}


import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from './db/client.js';
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

/**
 * What the server answers before GraphQL: liveness, readiness, Prometheus
 * metrics, the body-size cap, and the dashboard page with its static files.
 * Returns false when GraphQL should answer.
 */
export function createOpsRoutes(sql: Sql, maxBodyBytes: number) {
  let migrated = false;
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
      try {
        await withTimeout(sql`select 1`, 2000);
        migrated ||= await withTimeout(migrationsApplied(sql), 2000);
        if (!migrated) return send(res, 503, 'migrations pending\n'), true;
        send(res, 200, 'ready\n');
      } catch (error) {
        send(res, 503, `database unavailable: ${(error as Error).message}\n`);
      }
      return true;
    }
    if (path === '/metrics') {
      send(res, 200, await registry.metrics(), registry.contentType);
      return true;
    }
    return serveStatic(req, res);
  };
}

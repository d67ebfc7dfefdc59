// The bare limit for bench/run.ts: a node:http handler that checks the same
// bearer token and runs opsgraph's own SQL functions (src/db) through
// postgres.js, writing the answer as JSON in the shape of opsgraph's `data`.
// No GraphQL, no yoga, no per-request context or logging: what serving these
// badges costs before any API layer. Run as its own process with DATABASE_URL,
// JWT_SECRET and PORT. BARE_SHARED_READS=on shares its reads between requests as
// opsgraph does (src/db/shared-reads.ts), for the variant "bare shared".
import { createServer, type ServerResponse } from 'node:http';
import { resolveCaller } from '../src/auth/context.js';
import { hasRole } from '../src/auth/roles.js';
import { createVerifier } from '../src/auth/tokens.js';
import { createSql, type Sql } from '../src/db/client.js';
import { inFlightTotals, listJobIdsWithLiveCounts, type InFlightCounts } from '../src/db/jobs.js';
import { countNotifications } from '../src/db/notifications.js';
import { countFailuresSince } from '../src/db/orchestrator-events.js';
import { readScanStats, type ScanStatsRow } from '../src/db/scans.js';
import { sharedRead, shareReads } from '../src/db/shared-reads.js';
import { parseSince } from '../src/failure-window.js';

const sql = createSql(process.env.DATABASE_URL!, Number(process.env.DATABASE_POOL_MAX ?? 10), undefined, 'bare', Number(process.env.DATABASE_MAX_PIPELINE ?? 1));
if (process.env.BARE_SHARED_READS === 'on') shareReads(sql);
// Each read as opsgraph's resolvers wrap it; on a pool never registered, sharedRead calls it directly.
const read = {
  scanStats: sharedRead<void, ScanStatsRow>('scanStats', (pool) => readScanStats(pool)),
  failures: sharedRead('failureCount', (pool: Sql, seconds: number) => countFailuresSince(pool, seconds, null), String),
  notifications: sharedRead('notificationCount', (pool: Sql, status: 'DEAD' | 'FAILED') => countNotifications(pool, status), (status) => status),
  inFlight: sharedRead<void, InFlightCounts>('inFlightTotals', (pool) => inFlightTotals(pool)),
  jobs: sharedRead<void, Awaited<ReturnType<typeof listJobIdsWithLiveCounts>>>('jobs', (pool) => listJobIdsWithLiveCounts(pool)),
};
const verify = createVerifier({ secret: process.env.JWT_SECRET!, jwksUrl: null, issuer: null, audience: null });

async function failureCount(since: string) {
  const { count, asOf } = await read.failures(sql, parseSince(since));
  return { since, kind: null, count, asOf };
}

async function jobs() {
  // The statement opsgraph's Query.jobs sends for `{ jobs { id live { running pending } } }`.
  return (await read.jobs(sql)).map((job) => ({ id: job.id, live: { running: job.running, pending: job.pending } }));
}

async function dashboard() {
  const [failures, dead, failed, inFlight, scanStats] = await Promise.all([
    failureCount('1h'),
    read.notifications(sql, 'DEAD'),
    read.notifications(sql, 'FAILED'),
    read.inFlight(sql),
    read.scanStats(sql),
  ]);
  return {
    failureCount: failures,
    deadLetterCount: dead,
    failedNotificationCount: failed,
    jobsRunning: inFlight.running,
    jobsPending: inFlight.pending,
    scanStats,
  };
}

const routes: Record<string, (query: URLSearchParams) => Promise<Record<string, unknown>>> = {
  '/scanStats': async () => ({ scanStats: await read.scanStats(sql) }),
  '/failureCount': async (query) => ({ failureCount: await failureCount(query.get('since') ?? '1h') }),
  '/jobs': async () => ({ jobs: await jobs() }),
  '/dashboard': async () => ({ dashboard: await dashboard() }),
};

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://bare');
  if (url.pathname === '/ready') return send(res, 200, { ok: true });
  const route = routes[url.pathname];
  if (!route) return send(res, 404, { error: 'no such route' });
  try {
    const caller = await resolveCaller(verify, req.headers.authorization);
    if (!hasRole(caller.user, 'VIEWER')) return send(res, 401, { error: 'VIEWER required' });
    send(res, 200, await route(url.searchParams));
  } catch (error) {
    send(res, 500, { error: String(error) });
  }
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => void sql.end().then(() => process.exit(0)));
  server.closeAllConnections();
});

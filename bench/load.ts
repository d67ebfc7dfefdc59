// The load process of bench/run.ts: autocannon in a process of its own, so
// the client's work never shares an event loop with a server or with the
// harness. Takes one request per IPC message, answers with the figures.
// @ts-expect-error autocannon ships no types; the few result fields used are typed below.
import autocannonUntyped from 'autocannon';

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, socket errors, timeouts, and 200s that carry GraphQL errors. */
  failures: number;
}

interface AutocannonResult {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}
const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<AutocannonResult>;

process.on('message', async (request: LoadRequest) => {
  const result = await autocannon({
    url: request.url,
    method: request.method,
    headers: request.headers,
    body: request.body,
    connections: request.connections,
    duration: request.seconds,
    // A GraphQL error still answers 200; count it as a failure.
    verifyBody: (body: string) => !body.startsWith('{"errors"') && !body.includes('"errors":['),
  });
  const reply: LoadResult = {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts + result.mismatches,
  };
  process.send!(reply);
});

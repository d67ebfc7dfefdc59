// A paused pooler (or database) must not take /metrics and /readyz down with it: an operator's
// scrape and the balancer's health check are how a hung instance is noticed. /metrics did not
// answer for more than 90 s when PgBouncer jammed (issue 25).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.js';
import { usePooler } from './pooler.js';

const p = usePooler('transaction');
let server: TestServer;
beforeAll(async () => {
  server = await p.start();
});
afterAll(async () => {
  p.pooler?.process.kill('SIGCONT');
  await server?.stop();
});

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  await res.text();
  return { status: res.status, ms: Date.now() - started };
}

describe('with PgBouncer paused (SIGSTOP)', () => {
  it('/metrics still answers within 2 s, and /readyz says 503 within 3 s', async () => {
    const base = server.url.replace('/graphql', '');
    expect((await timed(`${base}/metrics`)).status).toBe(200);
    p.pooler.process.kill('SIGSTOP');
    try {
      const metrics = await timed(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.ms).toBeLessThan(2_000);
      const ready = await timed(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(3_000);
    } finally {
      p.pooler.process.kill('SIGCONT');
    }
    // And it recovers once the pooler resumes.
    const deadline = Date.now() + 10_000;
    while ((await timed(`${base}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('/readyz did not recover');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

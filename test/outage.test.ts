import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { TEST_SECRET, token } from './helpers.js';

// This file runs its own PostgreSQL, so that it can stop and restart it.
let dir: string;
let port: number;
let pg: EmbeddedDatabase;
let app: App;
let base: string;

async function query(text: string) {
  const started = Date.now();
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('ADMIN')}` },
    body: JSON.stringify({ query: text }),
  });
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-outage-'));
  port = await freePort();
  pg = await startEmbeddedPostgres(dir, createLogger('silent'), port);
  app = await buildApp({ DATABASE_URL: pg.url, JWT_SECRET: TEST_SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
  base = `http://127.0.0.1:${(await app.start()).port}`;
});

afterAll(async () => {
  await app?.stop();
  await pg?.remove();
  await rm(dir, { recursive: true, force: true });
});

describe('a database outage', () => {
  it('fails requests fast with SERVICE_UNAVAILABLE, answers /readyz 503, and recovers without a restart', async () => {
    expect((await query('{ auditLog { totalCount } }')).body.data.auditLog.totalCount).toBe(0);

    await pg.stop();
    const down = await query('{ auditLog { totalCount } }');
    expect(down.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.ms).toBeLessThan(3000);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    pg = await startEmbeddedPostgres(dir, createLogger('silent'), port);
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      const again = await query('{ auditLog { totalCount } }');
      recovered = again.body.data?.auditLog?.totalCount === 0;
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

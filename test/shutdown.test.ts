import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { createTestDatabase, TEST_SECRET, token } from './helpers.js';
import { wsClient } from './ws-client.js';

async function waitReady(url: string) {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

describe('graceful shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} closes WS clients with 1001 and exits 0`, async () => {
      const db = await createTestDatabase();
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitReady(`http://127.0.0.1:${port}/readyz`);
        let closeCode = 0;
        const client = wsClient(`ws://127.0.0.1:${port}/graphql`, await token('VIEWER'), {
          lazy: false,
          on: { closed: (event) => (closeCode = (event as { code: number }).code) },
        });
        await new Promise<void>((resolve) => client.on('connected', () => resolve()));
        const started = Date.now();
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(closeCode).toBe(1001);
        await client.dispose();
      } finally {
        child.kill('SIGKILL');
        await db.drop();
      }
    });
  }
});

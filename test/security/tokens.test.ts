// THREAT: a token that never expires. A token without `exp` was accepted
// forever (and its socket never closed), so a leaked one could never be
// revoked by waiting; a token minted for years is nearly as bad.
// DEFENCE: every token must carry `exp`, and `exp − iat` (or `exp − now` when
// there is no iat) may not exceed JWT_MAX_LIFETIME; otherwise UNAUTHENTICATED
// over HTTP and SSE, and 4403 at connection_init (test/security/websocket.test.ts).
// `npm run token` refuses a --ttl beyond it; the token `npm start` prints lasts
// 30 days, which the default accepts (the boundary is inclusive).
// SETTING: JWT_MAX_LIFETIME (default 30d).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { signToken } from '../../src/auth/tokens.js';
import { codes, TEST_SECRET, useTestApp } from '../helpers.js';

const t = useTestApp();
const hourly = useTestApp({ JWT_MAX_LIFETIME: '1h' });
const DAY = 86_400;

function sign(claims: { iat?: number; exp?: number }) {
  let jwt = new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('lifetime');
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(TEST_SECRET));
}

const me = (app: typeof t, bearer: string) => app.gql('{ me { id: rowId } }', {}, { token: bearer });

describe('token lifetime (JWT_MAX_LIFETIME)', () => {
  it('refuses a token without exp, and one that lives longer than 30 days', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [{ iat: now }, {}, { iat: now, exp: now + 30 * DAY + 1 }, { exp: now + 365 * DAY }]) {
      const result = await me(t, await sign(claims));
      expect(codes(result), JSON.stringify(claims)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors![0]!.message).toMatch(/exp|JWT_MAX_LIFETIME/);
    }
  });

  it('accepts exactly 30 days: the token npm start prints, and signToken\'s own', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(codes(await me(t, await sign({ iat: now, exp: now + 30 * DAY })))).toEqual([]);
    expect((await me(t, await signToken(TEST_SECRET, 'month', 'VIEWER', 30 * DAY))).data).toEqual({ me: { id: 'month' } });
  });

  it('follows the setting', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(codes(await me(hourly, await sign({ iat: now, exp: now + 3600 })))).toEqual([]);
    expect(codes(await me(hourly, await sign({ iat: now, exp: now + 7200 })))).toEqual(['UNAUTHENTICATED']);
  });

  it('npm run token refuses a --ttl beyond JWT_MAX_LIFETIME and makes tokens the server accepts', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: { ...process.env, JWT_SECRET: TEST_SECRET },
      });
    await expect(run(['--ttl', '31d'])).rejects.toMatchObject({ stderr: expect.stringMatching(/JWT_MAX_LIFETIME/) });
    const { stdout } = await run(['--ttl', '30d', '--sub', 'cli']);
    expect((await me(t, stdout.trim())).data).toEqual({ me: { id: 'cli' } });
  });

  it('the dev-mode token npm start prints is accepted by that server', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'opsgraph-devtoken-'));
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(String(text)));
    const app = await buildApp({ DATABASE_URL: t.databaseUrl, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' });
    try {
      const { url } = await app.start();
      spy.mockRestore();
      const bearer = /Bearer ([\w.-]+)/.exec(printed.join('\n'))![1]!;
      const claims = JSON.parse(Buffer.from(bearer.split('.')[1]!, 'base64url').toString());
      expect(claims.exp - claims.iat).toBe(30 * DAY);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query: '{ me { id: rowId } }' }) });
      expect(await res.json()).toEqual({ data: { me: { id: 'dev-superadmin' } } });
    } finally {
      spy.mockRestore();
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { codes, TEST_SECRET, token, useTestApp } from './helpers.js';

const t = useTestApp();
const ME = '{ me { id: rowId roles } }';
const AUDIT = '{ auditLog { totalCount } }';

function sign(claims: Record<string, unknown>, secret = TEST_SECRET, exp: number | string = '1h') {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

describe('authentication', () => {
  it('answers me with null and no error without a token', async () => {
    expect(await t.gql(ME)).toEqual({ data: { me: null } });
  });

  it('expands a role into the roles below it', async () => {
    const result = await t.gql(ME, {}, { token: await token('ADMIN', 'alice') });
    expect(result.data?.me).toEqual({ id: 'alice', roles: ['VIEWER', 'OPERATOR', 'ADMIN'] });
  });

  it('refuses a protected field without a token with UNAUTHENTICATED', async () => {
    const result = await t.gql(AUDIT);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data).toBeNull();
  });

  const bad: [string, () => Promise<string>][] = [
    ['expired', () => sign({ roles: ['admin'] }, TEST_SECRET, Math.floor(Date.now() / 1000) - 10)],
    ['signed with another secret', () => sign({ roles: ['admin'] }, 'another-secret-0123456789abcdefghijkl')],
    ['alg none', async () => new UnsecuredJWT({ roles: ['admin'] }).setSubject('alice').setExpirationTime('1h').encode()],
    ['malformed', async () => 'not.a.jwt'],
    ['roles not an array', () => sign({ roles: 'admin' })],
    ['an unknown role', () => sign({ roles: ['root'] })],
    ['an upper-case role', () => sign({ roles: ['ADMIN'] })],
    ['no sub', () => new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET))],
  ];
  for (const [name, make] of bad) {
    it(`refuses a token that is ${name} with UNAUTHENTICATED, even on me`, async () => {
      const tokenText = await make();
      for (const query of [ME, AUDIT]) {
        const result = await t.gql(query, {}, { token: tokenText });
        expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      }
    });
  }

  it('refuses a token once it has expired, though the same token was accepted before', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const tokenText = await sign({ roles: ['viewer'] }, TEST_SECRET, exp);
    expect((await t.gql(ME, {}, { token: tokenText })).data?.me).toEqual({ id: 'alice', roles: ['VIEWER'] });
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    expect(codes(await t.gql(ME, {}, { token: tokenText }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a header that is not a bearer token', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic YWxpY2U6c2VjcmV0' },
      body: JSON.stringify({ query: AUDIT }),
    });
    expect(codes(await res.json())).toEqual(['UNAUTHENTICATED']);
  });

  it('gives FORBIDDEN to a valid token whose role is too low', async () => {
    const result = await t.gql(AUDIT, {}, 'OPERATOR');
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });

  it('lets a role high enough through', async () => {
    const result = await t.gql(AUDIT, {}, 'SUPERADMIN');
    expect(result.errors).toBeUndefined();
    expect(result.data?.auditLog.totalCount).toBe(0);
  });
});

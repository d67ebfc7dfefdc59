import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { createTestDatabase } from './helpers.js';

// Asymmetric keys from an identity provider's JWKS endpoint, served here by a local node:http server.
let jwks: Server;
let app: App;
let dropDb: () => Promise<void>;
let key: CryptoKey;
let otherKey: CryptoKey;

async function me(tokenText: string) {
  const res = await app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenText}` },
    body: JSON.stringify({ query: '{ me { id roles } }' }),
  });
  return res.json();
}

const sign = (signingKey: CryptoKey, claims: { iss?: string; aud?: string } = {}) =>
  new SignJWT({ roles: ['operator'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject('agent-7')
    .setIssuer(claims.iss ?? 'https://idp.example')
    .setAudience(claims.aud ?? 'opsgraph')
    .setExpirationTime('5m')
    .sign(signingKey);

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const db = await createTestDatabase();
  dropDb = db.drop;
  app = await buildApp({
    DATABASE_URL: db.url,
    JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    JWT_ISSUER: 'https://idp.example',
    JWT_AUDIENCE: 'opsgraph',
    LOG_LEVEL: 'silent',
    NOTIFICATION_WORKER: 'off',
    EXECUTION_REAPER: 'off',
  });
});

afterAll(async () => {
  await app?.stop();
  await dropDb?.();
  jwks?.close();
});

describe('JWT_JWKS_URL', () => {
  it('accepts a token signed by a key from the JWKS, with the right issuer and audience', async () => {
    expect(await me(await sign(key))).toEqual({ data: { me: { id: 'agent-7', roles: ['VIEWER', 'OPERATOR'] } } });
  });

  it('refuses a token signed by another key, or for another issuer or audience', async () => {
    for (const tokenText of [await sign(otherKey), await sign(key, { iss: 'https://evil.example' }), await sign(key, { aud: 'other-api' })]) {
      expect((await me(tokenText)).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestServer, type TestServer } from './helpers.js';

// Asymmetric keys from an identity provider's JWKS endpoint, served here by a local node:http server.
let jwks: Server;
let server: TestServer;
let dropDb: () => Promise<void>;
let key: CryptoKey;
let otherKey: CryptoKey;

const me = (tokenText: string): Promise<any> => server.gql('{ me { id: rowId roles } }', {}, { token: tokenText });

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
  server = await startTestServer(db.url, {
    JWT_SECRET: '', // keys from the JWKS only
    JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    JWT_ISSUER: 'https://idp.example',
    JWT_AUDIENCE: 'opsgraph',
  });
});

afterAll(async () => {
  await server?.stop();
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

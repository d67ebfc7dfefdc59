import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { formatDuration } from '../duration.js';
import { UnauthenticatedError } from '../errors.js';
import { parseRolesClaim, type AuthUser, type Role } from './roles.js';

export interface TokenSettings {
  secret: string | null;
  jwksUrl: string | null;
  issuer: string | null;
  audience: string | null;
  /** JWT_MAX_LIFETIME: the longest exp − iat accepted; a token without exp is refused. */
  maxLifetimeMs?: number;
}

export const DEFAULT_MAX_LIFETIME_MS = 30 * 86_400_000;

export type VerifyToken = (token: string) => Promise<AuthUser & { expiresAt: number | null }>;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Builds the verifier once per process: HS256 with a secret, or asymmetric keys from a JWKS URL. */
export function createVerifier(settings: TokenSettings): VerifyToken {
  const maxLifetimeMs = settings.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS;
  const options = {
    issuer: settings.issuer ?? undefined,
    audience: settings.audience ?? undefined,
  };
  let verify: (token: string) => ReturnType<typeof jwtVerify>;
  if (settings.jwksUrl) {
    const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl));
    verify = (token) => jwtVerify(token, keys, { ...options, algorithms: ASYMMETRIC });
  } else if (settings.secret) {
    // A KeyObject made once: given raw bytes, jose would import the key on every request.
    const key = createSecretKey(Buffer.from(settings.secret));
    verify = (token) => jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
  } else {
    throw new Error('No JWT_SECRET or JWT_JWKS_URL configured');
  }

  const check: VerifyToken = async (token) => {
    let payload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      const reason = (error as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : 'The token is not valid';
      throw new UnauthenticatedError(reason);
    }
    // A stolen token without an end would work forever; one that lives for years almost as long.
    if (typeof payload.exp !== 'number') throw new UnauthenticatedError('The token must carry an exp (expiry) claim');
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
    if ((payload.exp - issuedAt) * 1000 > maxLifetimeMs) {
      throw new UnauthenticatedError(`The token lives longer than JWT_MAX_LIFETIME (${formatDuration(maxLifetimeMs)}) allows`);
    }
    const roles = parseRolesClaim(payload.roles);
    if (typeof payload.sub !== 'string' || payload.sub === '' || roles === null) {
      throw new UnauthenticatedError('The token must carry a sub and a roles array of viewer, operator, admin or superadmin');
    }
    return { sub: payload.sub, roles, expiresAt: payload.exp * 1000 };
  };
  // A JWKS may drop a key at any time, so only tokens signed with the fixed secret are remembered.
  return settings.jwksUrl ? check : rememberVerified(check);
}

const REMEMBERED_TOKENS = 1000;

/**
 * Remembers the last REMEMBERED_TOKENS tokens that verified, until they
 * expire. A dashboard sends the same token with every request, and checking
 * its HMAC through WebCrypto was about a tenth of a small query's CPU time
 * (bench/run.ts). An expired token is checked afresh, so it fails exactly as
 * before; a token that fails is never remembered.
 */
function rememberVerified(check: VerifyToken): VerifyToken {
  const verified = new Map<string, Awaited<ReturnType<VerifyToken>>>();
  return async (token) => {
    const known = verified.get(token);
    if (known && (known.expiresAt === null || known.expiresAt > Date.now())) return known;
    verified.delete(token);
    const result = await check(token);
    // Oldest first: a Map iterates in insertion order.
    if (verified.size >= REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, result);
    return result;
  };
}

/** Reads `Bearer <token>`; null when there is no header at all. */
export function bearerToken(header: string | null | undefined): string | null {
  if (header === null || header === undefined || header === '') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new UnauthenticatedError('The authorization header must be "Bearer <token>"');
  return match[1]!;
}

export async function signToken(secret: string, sub: string, role: Role, ttlSeconds: number): Promise<string> {
  // One clock reading for both: exp − iat is exactly the ttl, so a 30-day token meets a 30-day JWT_MAX_LIFETIME.
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: [role.toLowerCase()] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

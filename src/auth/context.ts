import type { AuthUser } from './roles.js';
import { bearerToken, type VerifyToken } from './tokens.js';
import { DomainError } from '../errors.js';

export interface Caller {
  user: AuthUser | null;
  authError: DomainError | null;
  expiresAt: number | null;
}

/** Resolves the caller from an Authorization value; never throws, so public fields still work. */
export async function resolveCaller(verify: VerifyToken, authorization: unknown): Promise<Caller> {
  try {
    if (authorization !== undefined && authorization !== null && typeof authorization !== 'string') {
      throw new DomainError('The authorization value must be a string "Bearer <token>"', 'UNAUTHENTICATED');
    }
    const token = bearerToken(authorization);
    if (token === null) return { user: null, authError: null, expiresAt: null };
    const { expiresAt, ...user } = await verify(token);
    return { user, authError: null, expiresAt };
  } catch (error) {
    if (error instanceof DomainError) return { user: null, authError: error, expiresAt: null };
    throw error;
  }
}

import type { AuthUser } from '../auth/roles.js';
import type { DomainError } from '../errors.js';

/** Public, but a presented token that is not valid is still refused rather than ignored. */
export function me(caller: { user: AuthUser | null; authError: DomainError | null }): AuthUser | null {
  if (caller.authError) throw caller.authError;
  return caller.user;
}

import { hasRole } from '../auth/roles.js';
import type { Context } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';

/** The scopes a caller holds: what every `authScopes` map of the schema is checked against. */
export const authScopesOf = (ctx: Context) => ({
  public: true,
  viewer: hasRole(ctx.user, 'VIEWER'),
  operator: hasRole(ctx.user, 'OPERATOR'),
  admin: hasRole(ctx.user, 'ADMIN'),
  superadmin: hasRole(ctx.user, 'SUPERADMIN'),
});

export type ScopeName = keyof ReturnType<typeof authScopesOf>;

/** The refusal of a caller whose scopes do not suffice: a bad token's own error, else FORBIDDEN or UNAUTHENTICATED. */
export const unauthorized = (ctx: Context) => ctx.authError ?? (ctx.user ? new ForbiddenError() : new UnauthenticatedError());

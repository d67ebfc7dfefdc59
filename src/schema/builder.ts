import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { hasRole } from '../auth/roles.js';
import type { Context } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import './input-checks.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { public: boolean; viewer: boolean; operator: boolean; admin: boolean; superadmin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  // Scope checks first; then every string argument is checked once (src/schema/input-checks.ts).
  plugins: [ScopeAuthPlugin, 'inputChecks'],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      public: true,
      viewer: hasRole(ctx.user, 'VIEWER'),
      operator: hasRole(ctx.user, 'OPERATOR'),
      admin: hasRole(ctx.user, 'ADMIN'),
      superadmin: hasRole(ctx.user, 'SUPERADMIN'),
    }),
    unauthorizedError: (_parent, ctx) => ctx.authError ?? (ctx.user ? new ForbiddenError() : new UnauthenticatedError()),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

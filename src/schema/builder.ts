import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from '../context.js';
import './input-checks.js';
import { authScopesOf, unauthorized } from './scopes.js';

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
  // Federation last, as its docs ask, after the plugins that wrap resolvers; the directives plugin
  // puts its @key and @link where printSubgraphSchema (and so `_service`) prints them (src/schema/federation.ts).
  plugins: [ScopeAuthPlugin, 'inputChecks', DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: authScopesOf,
    unauthorizedError: (_parent, ctx) => unauthorized(ctx),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

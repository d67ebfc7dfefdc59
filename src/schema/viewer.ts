import { ROLES, type AuthUser } from '../auth/roles.js';
import { me } from '../resolvers/viewer.js';
import { builder } from './builder.js';

export const RoleEnum = builder.enumType('Role', { values: ROLES });

const Viewer = builder.objectRef<AuthUser>('Viewer').implement({
  authScopes: { public: true },
  fields: (t) => ({
    id: t.exposeID('sub'),
    roles: t.field({ type: [RoleEnum], resolve: (user) => user.roles }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    description: 'The caller, from its token; null without one. Public.',
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => me(ctx),
  }),
);

import { ROLES, type AuthUser } from '../auth/roles.js';
import { me } from '../resolvers/viewer.js';
import { globalId } from '../global-ids.js';
import { builder } from './builder.js';
import { ROW_ID } from './node.js';

export const RoleEnum = builder.enumType('Role', { values: ROLES });

const Viewer = builder.objectRef<AuthUser>('Viewer').implement({
  authScopes: { public: true },
  fields: (t) => ({
    id: t.id({ resolve: (user) => globalId('Viewer', user.sub) }),
    rowId: t.exposeID('sub', { description: `${ROW_ID} The subject (sub) of your token.` }),
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

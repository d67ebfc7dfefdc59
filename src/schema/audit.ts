import type { AuditRow } from '../db/audit.js';
import { auditLog } from '../resolvers/audit.js';
import { globalId } from '../global-ids.js';
import { builder } from './builder.js';
import { NodeRef, ROW_ID } from './node.js';
import { connectionOf } from './page-info.js';

const AuditEntry = builder.objectRef<AuditRow>('AuditEntry').implement({
  authScopes: { admin: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (row) => globalId('AuditEntry', row.id) }),
    rowId: t.exposeID('id', { description: ROW_ID }),
    actor: t.exposeString('actor'),
    action: t.exposeString('action'),
    target: t.exposeString('target', { nullable: true }),
    details: t.expose('details', { type: 'JSON' }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const AuditEntryConnection = connectionOf('AuditEntry', AuditEntry);

builder.queryField('auditLog', (t) =>
  t.field({
    type: AuditEntryConnection,
    description: 'Privileged actions, newest first. ADMIN.',
    authScopes: { admin: true },
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      action: t.arg.string(),
    },
    resolve: (_root, args, ctx) => auditLog(ctx, args),
  }),
);

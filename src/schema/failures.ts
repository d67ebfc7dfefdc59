import type { FailureCount, OrchestratorEvent } from '../resolvers/failures.js';
import { countFailures, recordOrchestratorEvent } from '../resolvers/failures.js';
import { builder } from './builder.js';

export const OrchestratorKind = builder.enumType('OrchestratorKind', { values: ['TRAFFIC', 'FILE', 'EMAIL'] as const });

const RecordOrchestratorEventInput = builder.inputType('RecordOrchestratorEventInput', {
  description: 'occurredAt defaults to now and may not lie more than 5 minutes ahead; detail is at most 10000 characters.',
  fields: (t) => ({
    kind: t.field({ type: OrchestratorKind, required: true }),
    success: t.boolean({ required: true }),
    detail: t.string(),
    occurredAt: t.field({ type: 'DateTime' }),
  }),
});

const OrchestratorEventRef = builder.objectRef<OrchestratorEvent>('OrchestratorEvent').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: OrchestratorKind }),
    success: t.exposeBoolean('success'),
    detail: t.exposeString('detail', { nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
});

export const FailureCountRef = builder.objectRef<FailureCount>('FailureCount').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identity for client caches, derived from since and kind.' }),
    since: t.exposeString('since'),
    kind: t.expose('kind', { type: OrchestratorKind, nullable: true }),
    count: t.exposeInt('count'),
    asOf: t.expose('asOf', { type: 'DateTime', description: 'The instant the window ends at.' }),
  }),
});

builder.queryField('failureCount', (t) =>
  t.field({
    type: FailureCountRef,
    description:
      'Failed orchestrator events and e-mails whose occurredAt lies in the window\n' +
      '[asOf - since, asOf]. `since` matches ^[1-9][0-9]*[smhd]$ and is at most 7d;\n' +
      'anything else is BAD_USER_INPUT. Without `kind`, all three kinds count. VIEWER.',
    authScopes: { viewer: true },
    args: {
      since: t.arg.string({ required: true, defaultValue: '1h' }),
      kind: t.arg({ type: OrchestratorKind }),
    },
    resolve: (_root, args, ctx) => countFailures(ctx, args),
  }),
);

builder.mutationField('recordOrchestratorEvent', (t) =>
  t.field({
    type: OrchestratorEventRef,
    description: 'Record one orchestrator event (TRAFFIC, FILE) or e-mail (EMAIL). OPERATOR.',
    authScopes: { operator: true },
    args: { input: t.arg({ type: RecordOrchestratorEventInput, required: true }) },
    resolve: (_root, args, ctx) => recordOrchestratorEvent(ctx, args.input),
  }),
);

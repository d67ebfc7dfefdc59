import type { FailureCount, FailureDrift, FailureRebalance, OrchestratorEvent, TableDrift } from '../resolvers/failures.js';
import { countFailures, failureCountDrift, rebalanceFailureCounts, recordOrchestratorEvent } from '../resolvers/failures.js';
import { globalId } from '../global-ids.js';
import { builder } from './builder.js';
import { NodeRef, ROW_ID } from './node.js';

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
    id: t.id({ resolve: (row) => globalId('OrchestratorEvent', row.id) }),
    rowId: t.exposeID('id', { description: `${ROW_ID} event:<n> for TRAFFIC and FILE, email:<n> for EMAIL.` }),
    kind: t.expose('kind', { type: OrchestratorKind }),
    success: t.exposeBoolean('success'),
    detail: t.exposeString('detail', { nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
});

export const FailureCountRef = builder.objectRef<FailureCount>('FailureCount').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ description: 'Stable identity for client caches, derived from since and kind.', resolve: (row) => globalId('FailureCount', row.id) }),
    rowId: t.exposeID('id', { description: `${ROW_ID} The window in its largest exact unit, then :KIND for one kind: 1h, 1d:EMAIL.` }),
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

const FailureTableDriftRef = builder.objectRef<TableDrift>('FailureTableDrift').implement({
  description: 'How far the failure counts kept for one event table were off.',
  authScopes: { admin: true },
  fields: (t) => ({
    table: t.exposeString('table', { description: 'orchestrator_events (TRAFFIC, FILE) or orchestrator_emails (EMAIL).' }),
    minuteDrift: t.exposeInt('minuteDrift', { description: 'Summed error of the per-minute counts.' }),
    hourDrift: t.exposeInt('hourDrift', { description: 'Summed error of the per-hour counts.' }),
    drift: t.exposeInt('drift', { description: 'Failures missed or invented, each counted once.' }),
  }),
});

const FailureRebalanceRef = builder.objectRef<FailureRebalance>('FailureRebalance').implement({
  authScopes: { superadmin: true },
  fields: (t) => ({
    drift: t.exposeInt('drift', {
      description:
        'How many failures the counts were off by, in all: failures they missed plus\n' +
        'failures they counted that do not exist (5 after five failed rows were\n' +
        'written with triggers off); 0 when nothing had drifted.',
    }),
    tables: t.field({ type: [FailureTableDriftRef], description: 'The drift per event table.', resolve: (parent) => parent.tables }),
    rebalancedAt: t.expose('rebalancedAt', { type: 'DateTime' }),
  }),
});

const FailureDriftRef = builder.objectRef<FailureDrift>('FailureDrift').implement({
  description: 'How far the failure counts are from the event tables, measured without changing anything.',
  authScopes: { admin: true },
  fields: (t) => ({
    drift: t.exposeInt('drift', { description: 'Failures the counts are off by, in all: as FailureRebalance.drift.' }),
    tables: t.field({ type: [FailureTableDriftRef], resolve: (parent) => parent.tables }),
    checkedAt: t.expose('checkedAt', { type: 'DateTime' }),
  }),
});

builder.queryField('failureCountDrift', (t) =>
  t.field({
    type: FailureDriftRef,
    description:
      'How far the counts failureCount reads are from the event tables, without\n' +
      'fixing anything (rebalanceFailureCounts fixes it). Reads every failed row. ADMIN.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => failureCountDrift(ctx),
  }),
);

builder.mutationField('rebalanceFailureCounts', (t) =>
  t.field({
    type: FailureRebalanceRef,
    description:
      'Recompute the failure counts that failureCount reads from the two event\n' +
      'tables, for rows written any way (triggers off, restores, bulk loads). Exact\n' +
      'even while events are recorded concurrently. Audited with the drift it fixed.\n' +
      'SUPERADMIN.',
    authScopes: { superadmin: true },
    resolve: (_root, _args, ctx) => rebalanceFailureCounts(ctx),
  }),
);

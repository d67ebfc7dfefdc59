import { failureSeries, type FailurePoint, type FailureSeries } from '../resolvers/failure-series.js';
import { builder } from './builder.js';
import { OrchestratorKind } from './failures.js';

// A series has up to 1441 points: like Job's, FailurePoint's fields skip the type's
// scopes (see src/schema/job.ts), which FailureSeries.points, its only way in, has checked.
const checkedWhereReturned = { skipTypeScopes: true } as const;

const FailurePointRef = builder.objectRef<FailurePoint>('FailurePoint').implement({
  description: 'The failures of one step of a FailureSeries.',
  authScopes: { viewer: true },
  fields: (t) => ({
    at: t.expose('at', {
      ...checkedWhereReturned,
      type: 'DateTime',
      description:
        "The step's start. Steps lie on a grid aligned to the UTC epoch (whole minutes,\n" +
        'hours, UTC days), so the first point may start before the window does: it counts\n' +
        'only from FailureSeries.from. The last one counts only up to asOf.',
    }),
    count: t.exposeInt('count', { ...checkedWhereReturned, description: 'traffic + file + email.' }),
    traffic: t.exposeInt('traffic', checkedWhereReturned),
    file: t.exposeInt('file', checkedWhereReturned),
    email: t.exposeInt('email', checkedWhereReturned),
  }),
});

export const FailureSeriesRef = builder.objectRef<FailureSeries>('FailureSeries').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identity for client caches, derived from since, step and kind.' }),
    since: t.exposeString('since'),
    step: t.exposeString('step'),
    kind: t.expose('kind', { type: OrchestratorKind, nullable: true }),
    total: t.exposeInt('total', { description: 'The sum of the points: failureCount(since, kind).count at asOf.' }),
    asOf: t.expose('asOf', { type: 'DateTime', description: 'The instant the window ends at.' }),
    from: t.expose('from', { type: 'DateTime', description: 'The instant the window starts at: asOf - since.' }),
    points: t.expose('points', {
      type: [FailurePointRef],
      description: 'Every step of the window, oldest first, steps without failures included (zeros).',
    }),
  }),
});

builder.queryField('failureSeries', (t) =>
  t.field({
    type: FailureSeriesRef,
    description:
      'Failures per step over the window, per kind; points oldest first; their counts\n' +
      'sum to failureCount(since, kind).count. `since` as in failureCount. `step` has\n' +
      "since's grammar, is at most since, at most 1440 steps fit in since, and it is a\n" +
      'whole number of minutes for windows over 1h; anything else is BAD_USER_INPUT.\n' +
      'With `kind`, the other kinds count 0. VIEWER.',
    authScopes: { viewer: true },
    args: {
      since: t.arg.string({ required: true, defaultValue: '1h' }),
      step: t.arg.string({ required: true, defaultValue: '1m' }),
      kind: t.arg({ type: OrchestratorKind }),
    },
    resolve: (_root, args, ctx) => failureSeries(ctx, args),
  }),
);

import {
  liveDashboard,
  liveDeadLetterCount,
  liveFailureCount,
  liveFailureSeries,
  liveJobCounts,
  liveJobList,
  liveScanStats,
} from '../resolvers/live-badges.js';
import { killSignalFeed } from '../resolvers/kill-signals.js';
import { rowIdOf } from '../global-ids.js';
import { builder } from './builder.js';
import { DashboardRef } from './dashboard.js';
import { FailureSeriesRef } from './failure-series.js';
import { FailureCountRef, OrchestratorKind } from './failures.js';
import { JobLiveCountsRef } from './job.js';
import { JobListLiveCountsRef } from './job-list-live-counts.js';
import { KillSignalRef } from './kill.js';
import { ScanStats } from './scan.js';
import { selectedFailureWindows } from './selected-windows.js';

// Each badge emits its current value at once, then each change, never the same
// value twice in a row; subscribers with equal arguments share one computation.
// LIVE_BADGE marks the fields whose graphql-ws subscribers are written to
// straight from their badge's group (src/live/fanout.ts).
const LIVE_BADGE = { liveBadge: true };

builder.subscriptionField('scanStats', (t) =>
  t.field({
    type: ScanStats,
    description: 'VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    subscribe: (_root, _args, ctx) => liveScanStats(ctx),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('failureCount', (t) =>
  t.field({
    type: FailureCountRef,
    description:
      'The live failure badge. Changes both when a failure is recorded and when an\n' +
      'old failure leaves the sliding window. Same arguments and errors as the query. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    args: {
      since: t.arg.string({ required: true, defaultValue: '1h' }),
      kind: t.arg({ type: OrchestratorKind }),
    },
    subscribe: (_root, args, ctx) => liveFailureCount(ctx, args),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('failureSeries', (t) =>
  t.field({
    type: FailureSeriesRef,
    description:
      'The live series: moves as failures arrive and as the window slides (a new step\n' +
      'at its end, the first step leaving, an old failure leaving). Same arguments and\n' +
      'errors as the query. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    args: {
      since: t.arg.string({ required: true, defaultValue: '1h' }),
      step: t.arg.string({ required: true, defaultValue: '1m' }),
      kind: t.arg({ type: OrchestratorKind }),
    },
    subscribe: (_root, args, ctx) => liveFailureSeries(ctx, args),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('deadLetterCount', (t) =>
  t.int({
    description: 'Number of DEAD notifications. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    subscribe: (_root, _args, ctx) => liveDeadLetterCount(ctx),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('jobLiveCounts', (t) =>
  t.field({
    type: JobLiveCountsRef,
    description: 'Live counts of one job. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => liveJobCounts(ctx, rowIdOf('Job', args.jobId)),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('jobListLiveCounts', (t) =>
  t.field({
    type: JobListLiveCountsRef,
    description:
      'Live counts of the whole job list: first push holds every job (complete: true),\n' +
      'then one push per change holding only the jobs whose counts changed (or that\n' +
      'were added) and the ids of deleted jobs. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    subscribe: (_root, _args, ctx) => liveJobList(ctx),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('dashboard', (t) =>
  t.field({
    type: DashboardRef,
    description:
      'All badges. failureCount inside it, with any window, changes when a failure\n' +
      'is recorded and when one leaves its window, like the top-level badge. VIEWER.',
    authScopes: { viewer: true },
    extensions: LIVE_BADGE,
    subscribe: (_root, _args, ctx, info) => liveDashboard(ctx, selectedFailureWindows(info)),
    resolve: (value) => value,
  }),
);

builder.subscriptionField('killSignals', (t) =>
  t.field({
    type: KillSignalRef,
    description:
      'Kill signals for the given executions, or for all executions when execIds\n' +
      'is omitted, one event per signal, in id order, each once. Without after it\n' +
      'emits nothing at subscribe time; with after (the id of the last signal the\n' +
      'agent saw) it first replays every matching signal recorded since, so an agent\n' +
      'that reconnects misses none. OPERATOR.',
    authScopes: { operator: true },
    args: { execIds: t.arg.idList(), after: t.arg.id() },
    subscribe: (_root, args, ctx) =>
      killSignalFeed(ctx, args.execIds?.map((id) => rowIdOf('Execution', id)) ?? null, args.after ?? null),
    resolve: (value) => value,
  }),
);

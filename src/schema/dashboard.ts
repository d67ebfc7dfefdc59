import { countFailures } from '../resolvers/failures.js';
import { dashboard, DASHBOARD_WINDOW, windowKey, type DashboardValue } from '../resolvers/dashboard.js';
import { DASHBOARD_ID } from '../badge-ids.js';
import { globalId } from '../global-ids.js';
import { builder } from './builder.js';
import { FailureCountRef, OrchestratorKind } from './failures.js';
import { NodeRef, ROW_ID } from './node.js';
import { ScanStats } from './scan.js';

const DASHBOARD_NODE_ID = globalId('Dashboard', DASHBOARD_ID);

export const DashboardRef = builder.objectRef<DashboardValue>('Dashboard').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ description: 'Stable identity for client caches: the same for every Dashboard value.', resolve: () => DASHBOARD_NODE_ID }),
    rowId: t.id({ description: ROW_ID, resolve: () => DASHBOARD_ID }),
    failureCount: t.field({
      type: FailureCountRef,
      args: {
        since: t.arg.string({ required: true, defaultValue: DASHBOARD_WINDOW }),
        kind: t.arg({ type: OrchestratorKind }),
      },
      // The default window comes with the dashboard, and so do the windows a live dashboard asked for;
      // any other is counted on demand.
      resolve: (parent, args, ctx) =>
        args.since === DASHBOARD_WINDOW && !args.kind
          ? parent.failureCount
          : (parent.windows?.[windowKey(args)] ?? countFailures(ctx, args)),
    }),
    deadLetterCount: t.exposeInt('deadLetterCount'),
    failedNotificationCount: t.exposeInt('failedNotificationCount'),
    jobsRunning: t.exposeInt('jobsRunning'),
    jobsPending: t.exposeInt('jobsPending'),
    scanStats: t.field({ type: ScanStats, resolve: (parent) => parent.scanStats }),
  }),
});

builder.queryField('dashboard', (t) =>
  t.field({
    type: DashboardRef,
    description: 'Every badge of the dashboard in one round trip. VIEWER.',
    authScopes: { viewer: true },
    resolve: (_root, _args, ctx) => dashboard(ctx),
  }),
);

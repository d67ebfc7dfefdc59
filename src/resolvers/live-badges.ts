import type { Context } from '../context.js';
import type { FailureCountArgs } from './failures.js';
import type { FailureSeriesArgs } from './failure-series.js';
import {
  dashboardBadge,
  deadLetterCountBadge,
  failureCountBadge,
  failureSeriesBadge,
  jobListLiveCountsBadge,
  jobLiveCountsBadge,
  scanStatsBadge,
} from '../live/badges.js';

// The live badge subscriptions: each joins its badge's shared recompute
// (src/live/), which the graphql-ws fan-out and SSE streams read from. The
// badge computes with the live pool's services, not the subscriber's context
// (which a shared recompute must not hold on to).

const on = (ctx: Context) => ctx.live.services ?? ctx;

export const liveScanStats = (ctx: Context) => ctx.live.subscribe(scanStatsBadge(on(ctx)));

/** Refuses a bad window at subscribe time. */
export const liveFailureCount = (ctx: Context, args: FailureCountArgs) => ctx.live.subscribe(failureCountBadge(on(ctx), args));

/** Refuses a bad window or step at subscribe time. */
export const liveFailureSeries = (ctx: Context, args: FailureSeriesArgs) => ctx.live.subscribe(failureSeriesBadge(on(ctx), args));

export const liveDeadLetterCount = (ctx: Context) => ctx.live.subscribe(deadLetterCountBadge(on(ctx)));

export const liveJobCounts = (ctx: Context, jobId: string) => ctx.live.subscribe(jobLiveCountsBadge(on(ctx), jobId));

/** `windows`: the failureCount windows the subscription's selection asks for besides the default one. */
export const liveDashboard = (ctx: Context, windows: FailureCountArgs[]) => ctx.live.subscribe(dashboardBadge(on(ctx), windows));

/** The whole job list first, then what changed (src/live/badges.ts, jobListLiveCountsBadge). */
export const liveJobList = (ctx: Context) => ctx.live.subscribe(jobListLiveCountsBadge(on(ctx)));

import type { Context } from '../context.js';
import type { FailureCountArgs } from './failures.js';
import { dashboardBadge, deadLetterCountBadge, failureCountBadge, jobLiveCountsBadge, scanStatsBadge } from '../live/badges.js';

// The live badge subscriptions: each joins its badge's shared recompute
// (src/live/), which the graphql-ws fan-out and SSE streams read from.

export const liveScanStats = (ctx: Context) => ctx.live.subscribe(scanStatsBadge(ctx));

/** Refuses a bad window at subscribe time. */
export const liveFailureCount = (ctx: Context, args: FailureCountArgs) => ctx.live.subscribe(failureCountBadge(ctx, args));

export const liveDeadLetterCount = (ctx: Context) => ctx.live.subscribe(deadLetterCountBadge(ctx));

export const liveJobCounts = (ctx: Context, jobId: string) => ctx.live.subscribe(jobLiveCountsBadge(ctx, jobId));

/** `windows`: the failureCount windows the subscription's selection asks for besides the default one. */
export const liveDashboard = (ctx: Context, windows: FailureCountArgs[]) => ctx.live.subscribe(dashboardBadge(ctx, windows));

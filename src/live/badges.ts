import type { Services } from '../context.js';
import type { LiveCounts } from '../db/jobs.js';
import type { ScanStatsRow } from '../db/scans.js';
import { parseSince } from '../failure-window.js';
import { dashboard, DASHBOARD_WINDOW, windowKey, type DashboardValue } from '../resolvers/dashboard.js';
import { countFailures, oldestFailureInWindow, type FailureCount, type FailureCountArgs } from '../resolvers/failures.js';
import { failureSeries, failureSeriesChangesAt, parseSeriesArgs, type FailureSeries, type FailureSeriesArgs } from '../resolvers/failure-series.js';
import { jobListChanges, jobListLiveCounts, type JobListLiveCounts } from '../resolvers/job-list.js';
import { jobLiveCounts } from '../resolvers/jobs.js';
import { deadLetterCount } from '../resolvers/notifications.js';
import { scanStats } from '../resolvers/scans.js';
import type { LiveDescriptor } from './bus.js';
import type { LiveSpec } from './live-queries.js';
import { topicsWaking } from './topics.js';

// The live badges: what each one computes (the resolvers' own queries), which
// topics move it (from the catalogue, src/live/topics.ts), and what makes two
// of its values the same for a subscriber. Timestamps (asOf, updatedAt) are
// not part of a badge's identity: a new asOf alone is not news.

export function scanStatsBadge(services: Services): LiveSpec<ScanStatsRow> {
  return {
    badge: 'scanStats',
    key: 'scanStats',
    descriptor: { badge: 'scanStats', args: {} },
    topics: topicsWaking('scanStats'),
    compute: () => scanStats(services),
    identity: (value) => JSON.stringify([value.total, value.stats]),
  };
}

/** Validates `since` at once, so a bad window is refused at subscribe time. */
export function failureCountBadge(services: Services, args: FailureCountArgs): LiveSpec<FailureCount> {
  parseSince(args.since);
  const kind = args.kind ?? null;
  return {
    badge: 'failureCount',
    key: `failureCount:${args.since}:${kind ?? ''}`,
    descriptor: { badge: 'failureCount', args: { since: args.since, kind } },
    topics: topicsWaking('failureCount'),
    compute: () => countFailures(services, { since: args.since, kind }),
    identity: (value) => String(value.count),
    nextChangeAt: async (value) =>
      (await oldestFailureInWindow(services, { since: args.since, kind, asOf: value.asOf })).leavesAt,
  };
}

export function deadLetterCountBadge(services: Services): LiveSpec<number> {
  return {
    badge: 'deadLetterCount',
    key: 'deadLetterCount',
    descriptor: { badge: 'deadLetterCount', args: {} },
    topics: topicsWaking('deadLetterCount'),
    compute: () => deadLetterCount(services),
  };
}

export function jobLiveCountsBadge(services: Services, jobId: string): LiveSpec<LiveCounts> {
  return {
    badge: 'jobLiveCounts',
    key: `jobLiveCounts:${jobId}`,
    descriptor: { badge: 'jobLiveCounts', args: { jobId } },
    topics: topicsWaking('jobLiveCounts'),
    compute: () => jobLiveCounts(services, jobId),
  };
}

/**
 * Validates since and step at once (refused at subscribe time). Keyed by the
 * arguments as asked, as failureCount, since the value echoes them. Its identity is every
 * point's start and counts: a new step at the right end, or the first one
 * leaving at the left, is news even when no count moved.
 */
export function failureSeriesBadge(services: Services, args: FailureSeriesArgs): LiveSpec<FailureSeries> {
  const { kind } = parseSeriesArgs(args);
  return {
    badge: 'failureSeries',
    key: `failureSeries:${args.since}:${args.step}:${kind ?? ''}`,
    descriptor: { badge: 'failureSeries', args: { since: args.since, step: args.step, kind } },
    topics: topicsWaking('failureSeries'),
    compute: () => failureSeries(services, { since: args.since, step: args.step, kind }),
    identity: (value) => JSON.stringify(value.points.map((p) => [new Date(p.at).getTime(), p.traffic, p.file, p.email])),
    nextChangeAt: (value) => failureSeriesChangesAt(services, { since: args.since, step: args.step, kind }, value),
  };
}

/**
 * The whole job list, computed and shared whole; each subscriber is sent the
 * whole list first, then only what changed (LiveSpec.changes): one push per
 * pass that moved any job, however many jobs it moved.
 */
export function jobListLiveCountsBadge(services: Services): LiveSpec<JobListLiveCounts> {
  return {
    badge: 'jobListLiveCounts',
    key: 'jobListLiveCounts',
    descriptor: { badge: 'jobListLiveCounts', args: {} },
    topics: topicsWaking('jobListLiveCounts'),
    compute: () => jobListLiveCounts(services),
    identity: (value) => JSON.stringify(value.changed),
    changes: jobListChanges,
  };
}

/**
 * The live dashboard. `windows` are the failureCount windows its selection
 * asks for besides the default one: each is counted with the dashboard, is
 * part of its identity, and ages out on its own (the earliest instant any of
 * them changes with no write), with the same scheduling as the top-level badge.
 */
export function dashboardBadge(services: Services, windows: FailureCountArgs[] = []): LiveSpec<DashboardValue> {
  const unique = [...new Map(windows.map((w) => [windowKey(w), { since: w.since, kind: w.kind ?? null }])).values()]
    .filter((w) => windowKey(w) !== windowKey({ since: DASHBOARD_WINDOW }))
    .sort((a, b) => windowKey(a).localeCompare(windowKey(b)));
  for (const window of unique) parseSince(window.since);
  return {
    badge: 'dashboard',
    key: ['dashboard', ...unique.map(windowKey)].join('|'),
    descriptor: { badge: 'dashboard', args: { windows: unique } },
    topics: topicsWaking('dashboard'),
    compute: () => dashboard(services, unique),
    identity: (value) =>
      JSON.stringify([
        value.failureCount.count,
        unique.map((w) => value.windows?.[windowKey(w)]?.count),
        value.deadLetterCount,
        value.failedNotificationCount,
        value.jobsRunning,
        value.jobsPending,
        value.scanStats.total,
        value.scanStats.stats,
      ]),
    nextChangeAt: async (value) => {
      const counts: (FailureCountArgs & { asOf: Date })[] = [
        { since: DASHBOARD_WINDOW, kind: null, asOf: value.failureCount.asOf },
        ...unique.map((w) => ({ ...w, asOf: value.windows?.[windowKey(w)]?.asOf ?? value.failureCount.asOf })),
      ];
      const leaves = await Promise.all(counts.map(async (args) => (await oldestFailureInWindow(services, args)).leavesAt));
      const times = leaves.filter((at): at is Date => at !== null).map((at) => at.getTime());
      return times.length === 0 ? null : new Date(Math.min(...times));
    },
  };
}

/**
 * The badge a descriptor names, as another instance's subscribers asked for it
 * (the cluster's leader computes it for them). Throws on a descriptor no badge
 * makes: it came from the bus, not from this code.
 */
export function badgeSpec(services: Services, descriptor: LiveDescriptor): LiveSpec<unknown> {
  const args = descriptor.args as Record<string, any>;
  switch (descriptor.badge) {
    case 'scanStats':
      return scanStatsBadge(services) as LiveSpec<unknown>;
    case 'failureCount':
      return failureCountBadge(services, { since: String(args.since), kind: args.kind ?? null }) as LiveSpec<unknown>;
    case 'deadLetterCount':
      return deadLetterCountBadge(services) as LiveSpec<unknown>;
    case 'jobLiveCounts':
      return jobLiveCountsBadge(services, String(args.jobId)) as LiveSpec<unknown>;
    case 'failureSeries':
      return failureSeriesBadge(services, { since: String(args.since), step: String(args.step), kind: args.kind ?? null }) as LiveSpec<unknown>;
    case 'jobListLiveCounts':
      return jobListLiveCountsBadge(services) as LiveSpec<unknown>;
    case 'dashboard':
      return dashboardBadge(services, Array.isArray(args.windows) ? args.windows : []) as LiveSpec<unknown>;
    default:
      throw new Error(`no live badge ${JSON.stringify(descriptor.badge)}`);
  }
}

import type { Services } from '../context.js';
import type { LiveSpec } from '../live/live-queries.js';
import { countFailures, oldestFailureInWindow, type FailureCount, type FailureCountArgs } from './failures.js';
import { parseSince } from '../failure-window.js';
import { deadLetterCount, failedNotificationCount } from './notifications.js';
import { jobLiveCounts, inFlightTotals } from './jobs.js';
import { scanStats } from './scans.js';
import type { ScanStatsRow } from '../db/scans.js';
import type { LiveCounts } from '../db/jobs.js';

// The live badges: what each one computes, which topics move it, and what
// makes two of its values the same for a subscriber. Timestamps (asOf,
// updatedAt) are not part of a badge's identity: a new asOf alone is not news.

export function scanStatsBadge(services: Services): LiveSpec<ScanStatsRow> {
  return {
    badge: 'scanStats',
    key: 'scanStats',
    topics: ['scans'],
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
    topics: ['failures'],
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
    topics: ['notifications'],
    compute: () => deadLetterCount(services),
  };
}

export function jobLiveCountsBadge(services: Services, jobId: string): LiveSpec<LiveCounts> {
  return {
    badge: 'jobLiveCounts',
    key: `jobLiveCounts:${jobId}`,
    topics: ['executions'],
    compute: () => jobLiveCounts(services, jobId),
  };
}

export interface DashboardValue {
  /** The badge for the default window, 1h over every kind. */
  failureCount: FailureCount;
  deadLetterCount: number;
  failedNotificationCount: number;
  jobsRunning: number;
  jobsPending: number;
  scanStats: ScanStatsRow;
}

export const DASHBOARD_WINDOW = '1h';

export async function dashboard(services: Services): Promise<DashboardValue> {
  const [failureCount, dead, failed, inFlight, scans] = await Promise.all([
    countFailures(services, { since: DASHBOARD_WINDOW }),
    deadLetterCount(services),
    failedNotificationCount(services),
    inFlightTotals(services),
    scanStats(services),
  ]);
  return {
    failureCount,
    deadLetterCount: dead,
    failedNotificationCount: failed,
    jobsRunning: inFlight.running,
    jobsPending: inFlight.pending,
    scanStats: scans,
  };
}

export function dashboardBadge(services: Services): LiveSpec<DashboardValue> {
  return {
    badge: 'dashboard',
    key: 'dashboard',
    topics: ['failures', 'notifications', 'executions', 'scans'],
    compute: () => dashboard(services),
    identity: (value) =>
      JSON.stringify([
        value.failureCount.count,
        value.deadLetterCount,
        value.failedNotificationCount,
        value.jobsRunning,
        value.jobsPending,
        value.scanStats.total,
        value.scanStats.stats,
      ]),
    nextChangeAt: async (value) =>
      (await oldestFailureInWindow(services, { since: DASHBOARD_WINDOW, asOf: value.failureCount.asOf })).leavesAt,
  };
}

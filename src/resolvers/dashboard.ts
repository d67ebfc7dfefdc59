import type { Services } from '../context.js';
import type { ScanStatsRow } from '../db/scans.js';
import { countFailures, type FailureCount, type FailureCountArgs } from './failures.js';
import { inFlightTotals } from './jobs.js';
import { deadLetterCount, failedNotificationCount } from './notifications.js';
import { scanStats } from './scans.js';

export interface DashboardValue {
  /** The badge for the default window, 1h over every kind. */
  failureCount: FailureCount;
  /** The other windows a live dashboard asked for, by windowKey: counted and aged out with it. */
  windows?: Record<string, FailureCount>;
  deadLetterCount: number;
  failedNotificationCount: number;
  jobsRunning: number;
  jobsPending: number;
  scanStats: ScanStatsRow;
}

export const DASHBOARD_WINDOW = '1h';

export const windowKey = (args: FailureCountArgs) => `${args.since}:${args.kind ?? ''}`;

/** Every badge at once; `windows` are further failure windows counted with it (the live dashboard's). */
export async function dashboard(services: Services, windows: FailureCountArgs[] = []): Promise<DashboardValue> {
  const [failureCount, dead, failed, inFlight, scans, counted] = await Promise.all([
    countFailures(services, { since: DASHBOARD_WINDOW }),
    deadLetterCount(services),
    failedNotificationCount(services),
    inFlightTotals(services),
    scanStats(services),
    Promise.all(windows.map((window) => countFailures(services, window))),
  ]);
  return {
    failureCount,
    ...(windows.length > 0 && { windows: Object.fromEntries(counted.map((count, i) => [windowKey(windows[i]!), count])) }),
    deadLetterCount: dead,
    failedNotificationCount: failed,
    jobsRunning: inFlight.running,
    jobsPending: inFlight.pending,
    scanStats: scans,
  };
}

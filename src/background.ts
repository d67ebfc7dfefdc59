import type { Services } from './context.js';
import { startExecutionReaper } from './executions/reaper.js';
import type { BackgroundTask } from './loop.js';
import { startNotificationWorker } from './notifications/worker.js';

/**
 * Everything that runs beside the API in the server process. Each domain adds
 * its starter here; a starter returns null when its setting turns it off.
 */
const starters: ((services: Services) => BackgroundTask | null)[] = [startNotificationWorker, startExecutionReaper];

export function startBackgroundWork(services: Services): BackgroundTask[] {
  return starters.map((start) => start(services)).filter((task): task is BackgroundTask => task !== null);
}

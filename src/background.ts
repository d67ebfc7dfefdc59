import type { Services } from './context.js';

export interface BackgroundTask {
  name: string;
  /** Finishes or releases whatever is in flight, then resolves. */
  stop(): Promise<void>;
}

/**
 * Everything that runs beside the API in the server process. Each domain adds
 * its starter here; a starter returns null when its setting turns it off.
 */
const starters: ((services: Services) => BackgroundTask | null)[] = [];

export function startBackgroundWork(services: Services): BackgroundTask[] {
  return starters.map((start) => start(services)).filter((task): task is BackgroundTask => task !== null);
}

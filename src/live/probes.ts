import type postgres from 'postgres';
import { scanCountersVersion } from '../db/scans.js';
import type { Logger } from '../logger.js';
import { setLongInterval, type LongTimer } from '../timers.js';
import type { PolledTopic } from './topics.js';

/** A cheap query whose answer changes whenever its topic's data does. */
export type Probe = (sql: postgres.Sql) => Promise<string>;

/** How each polled topic of src/live/topics.ts is watched (the type makes every one of them need a probe). */
export const PROBES: Record<PolledTopic, Probe> = {
  scans: scanCountersVersion,
};

export interface ProbeOptions {
  topic: string;
  probe: Probe;
  /** The client to ask: the LISTEN target's, which may be replaced while the probe runs. */
  client: () => postgres.Sql;
  intervalMs: number;
  /** Called when the answer differs from the previous one. */
  changed: () => void;
  log: Logger;
}

/**
 * Runs a probe at once and then every `intervalMs` (one at a time: a slow
 * answer skips beats) until the returned timer is cleared. A failed probe
 * (the database is out of reach) is tried again at the next beat.
 */
export function startProbe({ topic, probe, client, intervalMs, changed, log }: ProbeOptions): LongTimer {
  let last: string | null = null;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const answer = await probe(client());
      // The first answer is news too: a change may have landed between the badge's first read and it,
      // as it may before a LISTEN takes effect.
      if (answer !== last) changed();
      last = answer;
    } catch (error) {
      log.debug({ err: error, topic }, 'probe failed');
    } finally {
      running = false;
    }
  };
  void run();
  return setLongInterval(() => void run(), intervalMs);
}

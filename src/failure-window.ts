import { formatDuration } from './duration.js';
import { BadUserInputError } from './errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
export const MAX_WINDOW_SECONDS = 7 * 86_400;
/** failureSeries: at most this many steps in a window (24 h by the minute). */
export const MAX_SERIES_STEPS = 1440;
/** failureSeries: steps that are not whole minutes read rows, not buckets; only windows this short may use them. */
export const MAX_SUBMINUTE_WINDOW_SECONDS = 3_600;

const FORMAT = '^[1-9][0-9]*[smhd]$ (a whole number of seconds, minutes, hours or days)';
const FORM = `since must match ${FORMAT}, e.g. 15m, 1h, 24h or 7d`;
const TOO_LONG = 'since may be at most 7 days: 7d, 168h, 10080m or 604800s';

/** Seconds of a duration in the window grammar, or null if malformed; Infinity if absurdly long. */
function durationSeconds(text: string): number | null {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text);
  if (!match) return null;
  const [, digits, unit] = match as unknown as [string, string, keyof typeof UNIT_SECONDS];
  // Without leading zeros, 7 digits are already over 604800 in any unit: refuse
  // them before Number() could round a huge digit string into something small.
  return digits.length > 6 ? Infinity : Number(digits) * UNIT_SECONDS[unit];
}

/**
 * Parses the `since` argument into seconds, or throws BAD_USER_INPUT. The
 * grammar is deliberately narrower than the configuration durations: no zero,
 * no leading zeros, no milliseconds, at most 7 days.
 */
export function parseSince(since: string): number {
  const seconds = durationSeconds(since);
  if (seconds === null) throw new BadUserInputError(FORM, { argument: 'since' });
  if (seconds > MAX_WINDOW_SECONDS) throw new BadUserInputError(TOO_LONG, { argument: 'since' });
  return seconds;
}

/**
 * Parses failureSeries' `step` for a window of `sinceSeconds`, or throws
 * BAD_USER_INPUT: the grammar of `since`, at most the window, at most
 * MAX_SERIES_STEPS steps in it, and whole minutes for windows over 1 h (the
 * buckets are per minute: a finer step would count the window's rows one by one).
 */
export function parseStep(step: string, sinceSeconds: number): number {
  const seconds = durationSeconds(step);
  if (seconds === null) throw new BadUserInputError(`step must match ${FORMAT}, e.g. 1m, 5m or 1h`, { argument: 'step' });
  const since = formatDuration(sinceSeconds * 1000);
  if (seconds > sinceSeconds) throw new BadUserInputError(`step may be at most since (${since})`, { argument: 'step' });
  const wholeMinutes = sinceSeconds > MAX_SUBMINUTE_WINDOW_SECONDS;
  if (wholeMinutes && seconds % 60 !== 0) {
    throw new BadUserInputError(`step must be a whole number of minutes for windows over 1h (since ${since}), e.g. 1m or 5m`, { argument: 'step' });
  }
  if (Math.ceil(sinceSeconds / seconds) > MAX_SERIES_STEPS) {
    const least = Math.ceil(sinceSeconds / MAX_SERIES_STEPS / (wholeMinutes ? 60 : 1)) * (wholeMinutes ? 60 : 1);
    throw new BadUserInputError(
      `since may hold at most ${MAX_SERIES_STEPS} steps: for since ${since}, step must be at least ${formatDuration(least * 1000)}`,
      { argument: 'step' },
    );
  }
  return seconds;
}

/**
 * The first millisecond instant at which a failure that occurred at
 * `occurredAt` is out of a `since`-long window: the count drops then. A
 * subscriber schedules its next recompute for it.
 */
export function leavesWindowAt(occurredAt: Date, sinceSeconds: number): Date {
  return new Date(occurredAt.getTime() + sinceSeconds * 1000 + 1);
}

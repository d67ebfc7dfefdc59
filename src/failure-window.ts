import { BadUserInputError } from './errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
export const MAX_WINDOW_SECONDS = 7 * 86_400;

const FORM = 'since must match ^[1-9][0-9]*[smhd]$ (a whole number of seconds, minutes, hours or days), e.g. 15m, 1h, 24h or 7d';
const TOO_LONG = 'since may be at most 7 days: 7d, 168h, 10080m or 604800s';

/**
 * Parses the `since` argument into seconds, or throws BAD_USER_INPUT. The
 * grammar is deliberately narrower than the configuration durations: no zero,
 * no leading zeros, no milliseconds, at most 7 days.
 */
export function parseSince(since: string): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(since);
  if (!match) throw new BadUserInputError(FORM, { argument: 'since' });
  const [, digits, unit] = match as unknown as [string, string, keyof typeof UNIT_SECONDS];
  // Without leading zeros, 7 digits are already over 604800 in any unit: refuse
  // them before Number() could round a huge digit string into something small.
  const seconds = digits.length > 6 ? Infinity : Number(digits) * UNIT_SECONDS[unit];
  if (seconds > MAX_WINDOW_SECONDS) throw new BadUserInputError(TOO_LONG, { argument: 'since' });
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

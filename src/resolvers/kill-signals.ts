import type { Context } from '../context.js';
import type { KillSignalRow } from '../db/kill-signals.js';
import { BadUserInputError } from '../errors.js';

/** Kill signals for the given executions (all when null), from now on; execution ids are bigint identities. */
export function killSignalFeed(ctx: Context, execIds: string[] | null): AsyncIterable<KillSignalRow> {
  const bad = execIds?.find((id) => !/^\d{1,19}$/.test(id));
  if (bad !== undefined) throw new BadUserInputError(`execIds: "${bad}" is not an execution id`, { argument: 'execIds' });
  return ctx.kills.subscribe(execIds);
}

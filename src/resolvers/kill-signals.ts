import type { Context } from '../context.js';
import { existingExecutions, type KillSignalRow } from '../db/kill-signals.js';
import { NotFoundError } from '../errors.js';
import { parseSerialId } from './ids.js';

/**
 * Kill signals for the given executions (all when null): those recorded after
 * `after` first, when given, then each new one. Every id must name an
 * execution (NOT_FOUND otherwise: an agent watching an id the server never
 * issued would wait forever); `after` must be a signal id as the server issues
 * them (the signal itself may since have gone with its execution), or 0 for
 * the whole history.
 */
export async function killSignalFeed(ctx: Context, execIds: string[] | null, after: string | null): Promise<AsyncIterable<KillSignalRow>> {
  let from: bigint | null = null;
  if (after !== null) {
    // 0 lies before every id: replay the whole history.
    const id = after === '0' ? '0' : parseSerialId(after);
    if (id === null) throw new NotFoundError(`There is no kill signal ${JSON.stringify(after)}`, { argument: 'after' });
    from = BigInt(id);
  }
  if (execIds) {
    const bad = execIds.find((id) => parseSerialId(id) === null);
    const known = bad === undefined && execIds.length > 0 ? await existingExecutions(ctx.sql, execIds) : new Set<string>();
    const missing = bad ?? execIds.find((id) => !known.has(id));
    if (missing !== undefined) {
      throw new NotFoundError(`There is no execution ${JSON.stringify(missing)}`, { argument: 'execIds', execId: missing });
    }
  }
  return ctx.kills.subscribe(execIds, from);
}

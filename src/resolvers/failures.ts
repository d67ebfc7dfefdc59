import type { Services } from '../context.js';
import {
  countFailuresSince,
  insertOrchestratorEvent,
  oldestFailureSince,
  type OrchestratorEventRow,
  type OrchestratorKind,
} from '../db/orchestrator-events.js';
import { BadUserInputError } from '../errors.js';
import { failureCountId } from '../badge-ids.js';
import { leavesWindowAt, parseSince } from '../failure-window.js';

export type { OrchestratorKind } from '../db/orchestrator-events.js';

export interface FailureCount {
  /** The badge's cache identity: one per window and kind, whatever the window's spelling (src/badge-ids.ts). */
  id: string;
  /** The window exactly as asked for. */
  since: string;
  kind: OrchestratorKind | null;
  count: number;
  asOf: Date;
}

export interface FailureCountArgs {
  since: string;
  kind?: OrchestratorKind | null;
}

const MAX_FUTURE_MS = 5 * 60_000;
const MAX_DETAIL_CHARS = 10_000;

/**
 * The failure badge: failed events and e-mails in [asOf − since, asOf], asOf
 * being the database clock. Exact, and a bounded number of row reads for any window.
 * Live subscriptions call this too.
 */
export async function countFailures({ sql }: Services, args: FailureCountArgs): Promise<FailureCount> {
  const sinceSeconds = parseSince(args.since);
  const kind = args.kind ?? null;
  const { asOf, count } = await countFailuresSince(sql, sinceSeconds, kind && [kind]);
  return { id: failureCountId(sinceSeconds, kind), since: args.since, kind, count, asOf };
}

/**
 * The oldest failure inside the window (ending at `asOf`, default the database
 * clock), and the instant it leaves the window: the moment a live badge must
 * recount even though nothing was written. Both null when the window holds none.
 */
export async function oldestFailureInWindow(
  { sql }: Services,
  args: FailureCountArgs & { asOf?: Date | null },
): Promise<{ asOf: Date; oldest: Date | null; leavesAt: Date | null }> {
  const sinceSeconds = parseSince(args.since);
  const kind = args.kind ?? null;
  const { asOf, oldest } = await oldestFailureSince(sql, sinceSeconds, kind && [kind], args.asOf ?? null);
  return { asOf, oldest, leavesAt: oldest && leavesWindowAt(oldest, sinceSeconds) };
}

export interface RecordOrchestratorEventInput {
  kind: OrchestratorKind;
  success: boolean;
  detail?: string | null;
  occurredAt?: Date | null;
}

/**
 * Ids are unique across both tables: "event:<id>" for TRAFFIC and FILE rows,
 * "email:<id>" for EMAIL rows.
 */
export interface OrchestratorEvent extends OrchestratorEventRow {}

export async function recordOrchestratorEvent({ sql }: Services, input: RecordOrchestratorEventInput): Promise<OrchestratorEvent> {
  const detail = input.detail ?? null;
  const occurredAt = input.occurredAt ?? null;
  // Code points, as PostgreSQL's char_length counts them (a string's length counts UTF-16 units).
  if (detail !== null && detail.length > MAX_DETAIL_CHARS && Array.from(detail).length > MAX_DETAIL_CHARS) {
    throw new BadUserInputError(`detail may be at most ${MAX_DETAIL_CHARS} characters`, { argument: 'input.detail' });
  }
  if (occurredAt !== null && occurredAt.getTime() > Date.now() + MAX_FUTURE_MS) {
    throw new BadUserInputError('occurredAt may lie at most 5 minutes in the future', { argument: 'input.occurredAt' });
  }
  const row = await insertOrchestratorEvent(sql, { kind: input.kind, success: input.success, detail, occurredAt });
  return { ...row, id: `${row.kind === 'EMAIL' ? 'email' : 'event'}:${row.id}` };
}

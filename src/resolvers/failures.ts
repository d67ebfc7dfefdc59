import type { Context, Services } from '../context.js';
import { insertAudit } from '../db/audit.js';
import type { Sql } from '../db/client.js';
import { checkFailureBuckets, lockFailureSources, type KindDrift } from '../db/failure-buckets.js';
import { sharedRead } from '../db/shared-reads.js';
import { transaction } from '../db/transaction.js';
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
import { actorOf } from './actor.js';
import { characters } from './characters.js';

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

/** One statement per window and kind for the requests asking at the same moment (src/db/shared-reads.ts). */
const sharedFailureCount = sharedRead(
  'failureCount',
  (sql, { sinceSeconds, kind }: { sinceSeconds: number; kind: OrchestratorKind | null }) => countFailuresSince(sql, sinceSeconds, kind && [kind]),
  ({ sinceSeconds, kind }) => `${sinceSeconds}:${kind ?? ''}`,
);

/**
 * The failure badge: failed events and e-mails in [asOf − since, asOf], asOf
 * being the database clock. Exact, and a bounded number of row reads for any window.
 * Live subscriptions call this too.
 */
export async function countFailures({ sql }: Services, args: FailureCountArgs): Promise<FailureCount> {
  const sinceSeconds = parseSince(args.since);
  const kind = args.kind ?? null;
  const { asOf, count } = await sharedFailureCount(sql, { sinceSeconds, kind });
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
  // A string has no more code points than UTF-16 units: most details need no counting.
  if (detail !== null && detail.length > MAX_DETAIL_CHARS && characters(detail) > MAX_DETAIL_CHARS) {
    throw new BadUserInputError(`detail may be at most ${MAX_DETAIL_CHARS} characters`, { argument: 'input.detail' });
  }
  if (occurredAt !== null && occurredAt.getTime() > Date.now() + MAX_FUTURE_MS) {
    throw new BadUserInputError('occurredAt may lie at most 5 minutes in the future', { argument: 'input.occurredAt' });
  }
  const row = await insertOrchestratorEvent(sql, { kind: input.kind, success: input.success, detail, occurredAt });
  return { ...row, id: `${row.kind === 'EMAIL' ? 'email' : 'event'}:${row.id}` };
}

export interface TableDrift {
  /** orchestrator_events (TRAFFIC, FILE) or orchestrator_emails (EMAIL). */
  table: string;
  minuteDrift: number;
  hourDrift: number;
  drift: number;
}

export interface FailureDrift {
  /** Failures the counts are off by, in all: missed plus invented. */
  drift: number;
  tables: TableDrift[];
  checkedAt: Date;
}

export interface FailureRebalance {
  drift: number;
  tables: TableDrift[];
  rebalancedAt: Date;
}

const TABLE_OF: Record<OrchestratorKind, string> = {
  TRAFFIC: 'orchestrator_events',
  FILE: 'orchestrator_events',
  EMAIL: 'orchestrator_emails',
};

function byTable(kinds: KindDrift[]): TableDrift[] {
  const tables = new Map<string, TableDrift>();
  for (const row of kinds) {
    const table = TABLE_OF[row.kind];
    const sum = tables.get(table) ?? { table, minuteDrift: 0, hourDrift: 0, drift: 0 };
    sum.minuteDrift += row.minuteDrift;
    sum.hourDrift += row.hourDrift;
    sum.drift += row.drift;
    tables.set(table, sum);
  }
  return [...tables.values()].sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * Read-only: how far the buckets are from the event tables now. One
 * REPEATABLE READ snapshot for the count and the buckets, so a write landing
 * meanwhile cannot show up as drift; no lock, so writers never wait on it.
 */
export async function failureCountDrift({ sql }: Services): Promise<FailureDrift> {
  return sql.begin('isolation level repeatable read read write', async (tx) => {
    const kinds = await checkFailureBuckets(tx as unknown as Sql, false);
    const [clock] = await tx<{ now: Date }[]>`select now()`;
    return { drift: kinds.reduce((sum, row) => sum + row.drift, 0), tables: byTable(kinds), checkedAt: clock!.now };
  }) as Promise<FailureDrift>;
}

/**
 * Lock first, then count (as rebalanceScanStats): the lock waits for every
 * writer already in flight to commit and holds off the rest, so the count, a
 * new statement, includes exactly the failures whose bucket updates it
 * replaces. Audited with the drift it fixed, per kind and per table.
 */
export async function rebalanceFailureCounts(ctx: Services & Pick<Context, 'user'>): Promise<FailureRebalance> {
  return transaction(ctx.sql, async (tx) => {
    await lockFailureSources(tx);
    const kinds = await checkFailureBuckets(tx, true);
    const [clock] = await tx<{ now: Date }[]>`select now()`;
    const result = { drift: kinds.reduce((sum, row) => sum + row.drift, 0), tables: byTable(kinds), rebalancedAt: clock!.now };
    await insertAudit(tx, {
      actor: actorOf(ctx),
      action: 'rebalanceFailureCounts',
      target: 'orchestrator_failure_buckets',
      details: { drift: result.drift, tables: result.tables, kinds },
    });
    return result;
  });
}

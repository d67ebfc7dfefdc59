import type { Context, Services } from '../context.js';
import { insertAudit } from '../db/audit.js';
import { sharedRead } from '../db/shared-reads.js';
import { transaction } from '../db/transaction.js';
import {
  countScansByType,
  insertScanAndBump,
  lockScanCounters,
  readCounterSums,
  readScanStats,
  replaceScanCounters,
  type ScanRow,
  type ScanStatsRow,
} from '../db/scans.js';
import { BadUserInputError } from '../errors.js';
import { actorOf } from './actor.js';
import { characters } from './characters.js';

const SCAN_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Counter rows per scan type. Every check-in of a type would otherwise update
 * one row and queue on its row lock; writers pick a slot at random and
 * readers sum the slots. Chosen by bench/scans.ts (see docs/scan-counters.md). Changing it
 * needs no migration: reads sum whatever slots exist and a rebalance folds
 * them back into slot 0.
 */
export const COUNTER_SLOTS = 64;

export async function recordScan(
  ctx: Services & Pick<Context, 'user'>,
  input: { scanType: string; subjectId: string },
): Promise<ScanRow> {
  if (!SCAN_TYPE.test(input.scanType)) {
    throw new BadUserInputError('scanType must match ^[a-z][a-z0-9_]{0,63}$', { argument: 'input.scanType' });
  }
  const length = characters(input.subjectId);
  if (length < 1 || length > 200 || input.subjectId.includes('\0')) {
    throw new BadUserInputError('subjectId must be 1 to 200 characters, without NUL', { argument: 'input.subjectId' });
  }
  return insertScanAndBump(ctx.sql, {
    scanType: input.scanType,
    subjectId: input.subjectId,
    scannedBy: actorOf(ctx),
    slot: Math.floor(Math.random() * COUNTER_SLOTS),
  });
}

const sharedScanStats = sharedRead<void, ScanStatsRow>('scanStats', (sql) => readScanStats(sql));

/** The counters as a badge reads them: shared with the requests asking at the same moment (src/db/shared-reads.ts). */
export function scanStats({ sql }: Services): Promise<ScanStatsRow> {
  return sharedScanStats(sql);
}

/**
 * Lock first, then count. The lock waits for every recordScan that already
 * bumped a counter to commit and holds off the rest, so the count (a new
 * statement, hence a new READ COMMITTED snapshot) includes exactly the scans
 * whose bumps it replaces; later scans bump the rebuilt rows. Counting before
 * locking would lose any scan committed in between.
 */
export async function rebalanceScanStats(ctx: Services & Pick<Context, 'user'>): Promise<ScanStatsRow> {
  return transaction(ctx.sql, async (tx) => {
    await lockScanCounters(tx);
    const before = await readCounterSums(tx);
    const truth = await countScansByType(tx);
    await replaceScanCounters(tx, truth);
    const oldCounts = Object.fromEntries(before.map((row) => [row.scanType, row.count]));
    const newCounts = Object.fromEntries(truth.map((row) => [row.scanType, row.count]));
    await insertAudit(tx, {
      actor: actorOf(ctx),
      action: 'rebalanceScanStats',
      target: 'scan_counters',
      details: { oldCounts, newCounts, drift: driftBetween(oldCounts, newCounts) },
    });
    return readScanStats(tx);
  });
}

/** What the rebalance changed, per type: new minus old, for every type that was off. */
function driftBetween(oldCounts: Record<string, number>, newCounts: Record<string, number>): Record<string, number> {
  const types = [...new Set([...Object.keys(oldCounts), ...Object.keys(newCounts)])].sort();
  const drift: Record<string, number> = {};
  for (const type of types) {
    const delta = (newCounts[type] ?? 0) - (oldCounts[type] ?? 0);
    if (delta !== 0) drift[type] = delta;
  }
  return drift;
}

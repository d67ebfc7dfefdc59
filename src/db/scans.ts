import type { Sql } from './client.js';

export interface ScanRow {
  id: string;
  scanType: string;
  subjectId: string;
  scannedBy: string;
  createdAt: Date;
}

export interface ScanCount {
  scanType: string;
  count: number;
}

export interface ScanStatsRow {
  /** Sorted by scanType in byte order; types whose count is 0 are left out. */
  stats: ScanCount[];
  total: number;
  /** The latest counter update; null when there are no counters. */
  updatedAt: Date | null;
}

/**
 * Inserts the scan and bumps one counter slot of its type in a single
 * statement. A statement outside `begin` is its own transaction, so both
 * writes commit together or not at all, in one round trip instead of four.
 * Both tables are locked (ROW EXCLUSIVE) before the statement runs, so a
 * rebalance holding scan_counters in EXCLUSIVE mode sees the scan and its bump
 * either both committed or neither started.
 */
export async function insertScanAndBump(
  sql: Sql,
  scan: { scanType: string; subjectId: string; scannedBy: string; slot: number },
): Promise<ScanRow> {
  const [row] = await sql<ScanRow[]>`
    with scan as (
      insert into scans (scan_type, subject_id, scanned_by)
      values (${scan.scanType}, ${scan.subjectId}, ${scan.scannedBy})
      returning id, scan_type, subject_id, scanned_by, created_at
    ), bump as (
      insert into scan_counters as c (scan_type, slot, count)
      values (${scan.scanType}, ${scan.slot}, 1)
      on conflict (scan_type, slot) do update set count = c.count + 1, updated_at = now()
    )
    select id::text, scan_type as "scanType", subject_id as "subjectId",
           scanned_by as "scannedBy", created_at as "createdAt"
    from scan`;
  return row!;
}

/** The cache, slots summed per type, zero sums included. Byte order (collate "C") keeps `a_b` before `ab` on every server. */
export async function readCounterSums(sql: Sql): Promise<(ScanCount & { updatedAt: Date })[]> {
  const rows = await sql<{ scanType: string; count: string; updatedAt: Date }[]>`
    select scan_type as "scanType", sum(count)::text as count, max(updated_at) as "updatedAt"
    from scan_counters
    group by scan_type
    order by scan_type collate "C"`;
  return rows.map((row) => ({ ...row, count: Number(row.count) }));
}

export async function readScanStats(sql: Sql): Promise<ScanStatsRow> {
  const sums = await readCounterSums(sql);
  const stats = sums.filter((row) => row.count !== 0).map(({ scanType, count }) => ({ scanType, count }));
  const updatedAt = sums.reduce<Date | null>((latest, row) => (latest && latest >= row.updatedAt ? latest : row.updatedAt), null);
  return { stats, total: stats.reduce((sum, stat) => sum + stat.count, 0), updatedAt };
}

/**
 * Blocks every recordScan until the caller's transaction ends. EXCLUSIVE
 * conflicts with the ROW EXCLUSIVE lock writers take on scan_counters, and
 * not with the ACCESS SHARE lock of readers, so scanStats keeps answering.
 * Granted only once every writer that already touched the table committed.
 */
export async function lockScanCounters(tx: Sql): Promise<void> {
  await tx`lock table scan_counters in exclusive mode`;
}

/** The truth, per type; a fresh statement, so in READ COMMITTED it sees everything committed before it. */
export async function countScansByType(sql: Sql): Promise<ScanCount[]> {
  const rows = await sql<{ scanType: string; count: string }[]>`
    select scan_type as "scanType", count(*)::text as count
    from scans
    group by scan_type
    order by scan_type collate "C"`;
  return rows.map((row) => ({ scanType: row.scanType, count: Number(row.count) }));
}

/** Replaces the whole cache with one slot-0 row per type; stale types and extra slots go. */
export async function replaceScanCounters(tx: Sql, counts: ScanCount[]): Promise<void> {
  await tx`delete from scan_counters`;
  if (counts.length === 0) return;
  await tx`
    insert into scan_counters (scan_type, count)
    select * from unnest(${counts.map((c) => c.scanType)}::text[], ${counts.map((c) => c.count)}::bigint[])`;
}

/**
 * A digest of the whole counter cache (a few rows per type), for the live
 * scanStats probe: it changes whenever any counter does, whoever wrote it.
 */
export async function scanCountersVersion(sql: { unsafe: (query: string) => Promise<unknown[]> }): Promise<string> {
  const [row] = (await sql.unsafe(
    `select md5(coalesce(string_agg(scan_type || ':' || slot || ':' || count, ',' order by scan_type, slot), '')) as v from scan_counters`,
  )) as { v: string }[];
  return row!.v;
}

// GraphQL documents and SQL probes shared by the scans test files.
import type { Sql } from '../src/db/client.js';
import type { TestApp } from './helpers.js';

export const RECORD = `mutation ($input: RecordScanInput!) {
  recordScan(input: $input) { id rowId scanType subjectId scannedBy createdAt }
}`;
export const STATS = `{ scanStats { stats { scanType count } total updatedAt } }`;
export const REBALANCE = `mutation { rebalanceScanStats { stats { scanType count } total updatedAt } }`;

export async function record(t: TestApp, scanType: string, subjectId = 'badge-1') {
  const result = await t.gql(RECORD, { input: { scanType, subjectId } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.recordScan;
}

/** The source of truth, in the shape of ScanStats.stats. */
export async function truth(sql: Sql): Promise<{ scanType: string; count: number }[]> {
  return sql<{ scanType: string; count: number }[]>`
    select scan_type as "scanType", count(*)::int as count from scans group by scan_type order by scan_type collate "C"`;
}

/** The counter cache summed per type, zero sums left out. */
export async function cache(sql: Sql): Promise<{ scanType: string; count: number }[]> {
  return sql<{ scanType: string; count: number }[]>`
    select scan_type as "scanType", sum(count)::int as count from scan_counters
    group by scan_type having sum(count) <> 0 order by scan_type collate "C"`;
}

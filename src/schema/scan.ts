import type { ScanCount, ScanRow, ScanStatsRow } from '../db/scans.js';
import { rebalanceScanStats, recordScan, scanStats } from '../resolvers/scans.js';
import { SCAN_STATS_ID } from '../badge-ids.js';
import { globalId } from '../global-ids.js';
import { builder } from './builder.js';
import { NodeRef, ROW_ID } from './node.js';

const RecordScanInput = builder.inputType('RecordScanInput', {
  description: 'scanType matches ^[a-z][a-z0-9_]{0,63}$; subjectId is 1..200 characters.',
  fields: (t) => ({
    scanType: t.string({ required: true }),
    subjectId: t.string({ required: true }),
  }),
});

const Scan = builder.objectRef<ScanRow>('Scan').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    id: t.id({ resolve: (row) => globalId('Scan', row.id) }),
    rowId: t.exposeID('id', { description: ROW_ID }),
    scanType: t.exposeString('scanType'),
    subjectId: t.exposeString('subjectId'),
    scannedBy: t.exposeString('scannedBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const ScanStat = builder.objectRef<ScanCount>('ScanStat').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    scanType: t.exposeString('scanType'),
    count: t.exposeInt('count'),
  }),
});

const SCAN_STATS_NODE_ID = globalId('ScanStats', SCAN_STATS_ID);

export const ScanStats = builder.objectRef<ScanStatsRow>('ScanStats').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ description: 'Stable identity for client caches: the same for every ScanStats value.', resolve: () => SCAN_STATS_NODE_ID }),
    rowId: t.id({ description: ROW_ID, resolve: () => SCAN_STATS_ID }),
    stats: t.expose('stats', { type: [ScanStat], description: 'Sorted by scanType; types with count 0 are left out.' }),
    total: t.exposeInt('total'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('scanStats', (t) =>
  t.field({
    type: ScanStats,
    description: 'Scan counts per scan type, read from the counter cache. VIEWER.',
    authScopes: { viewer: true },
    resolve: (_root, _args, ctx) => scanStats(ctx),
  }),
);

builder.mutationField('recordScan', (t) =>
  t.field({
    type: Scan,
    description: "Insert a scan and bump its type's counter in the same transaction. OPERATOR.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: RecordScanInput, required: true }) },
    resolve: (_root, args, ctx) => recordScan(ctx, args.input),
  }),
);

builder.mutationField('rebalanceScanStats', (t) =>
  t.field({
    type: ScanStats,
    description:
      'Recompute every scan counter from the scans table and return the result.\nExact even while recordScan runs concurrently. Audited. SUPERADMIN.',
    authScopes: { superadmin: true },
    resolve: (_root, _args, ctx) => rebalanceScanStats(ctx),
  }),
);

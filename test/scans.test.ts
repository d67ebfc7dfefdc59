import { describe, expect, it } from 'vitest';
import { codes, token, useTestApp } from './helpers.js';
import { cache, REBALANCE, record, RECORD, STATS, truth } from './scans-fixtures.js';

const t = useTestApp();

async function rowCounts() {
  const [row] = await t.sql<{ scans: number; counters: number }[]>`
    select (select count(*)::int from scans) as scans, (select count(*)::int from scan_counters) as counters`;
  return row!;
}

describe('scanStats on an empty cache', () => {
  it('is empty with total 0 and updatedAt null', async () => {
    expect(await t.gql(STATS, {}, 'VIEWER')).toEqual({ data: { scanStats: { stats: [], total: 0, updatedAt: null } } });
  });
});

describe('recordScan validation', () => {
  const bad: [string, { scanType: string; subjectId: string }][] = [
    ['empty scanType', { scanType: '', subjectId: 'x' }],
    ['upper case', { scanType: 'Checkin', subjectId: 'x' }],
    ['leading digit', { scanType: '1checkin', subjectId: 'x' }],
    ['leading underscore', { scanType: '_checkin', subjectId: 'x' }],
    ['a hyphen', { scanType: 'check-in', subjectId: 'x' }],
    ['a space', { scanType: 'check in', subjectId: 'x' }],
    ['a trailing newline', { scanType: 'checkin\n', subjectId: 'x' }],
    ['65 characters', { scanType: 'a'.repeat(65), subjectId: 'x' }],
    ['empty subjectId', { scanType: 'checkin', subjectId: '' }],
    ['201-character subjectId', { scanType: 'checkin', subjectId: 'x'.repeat(201) }],
    ['201 emoji', { scanType: 'checkin', subjectId: '😀'.repeat(201) }],
    ['a NUL byte', { scanType: 'checkin', subjectId: 'a\0b' }],
  ];
  it.each(bad)('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, input) => {
    const result = await t.gql(RECORD, { input }, 'OPERATOR');
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.data).toBeNull();
    expect(await rowCounts()).toEqual({ scans: 0, counters: 0 });
  });

  it('accepts the boundaries: 64-character type, 200 characters counted as code points', async () => {
    const longType = 'a' + 'b_9'.repeat(21);
    expect(longType).toHaveLength(64);
    for (const subjectId of ['y', 'x'.repeat(200), '😀'.repeat(200)]) {
      const result = await t.gql(RECORD, { input: { scanType: longType, subjectId } }, 'OPERATOR');
      expect(result.errors).toBeUndefined();
      expect(result.data!.recordScan.subjectId).toBe(subjectId);
    }
    await t.sql`delete from scans`;
    await t.sql`delete from scan_counters`;
  });
});

describe('roles', () => {
  it('OPERATOR records a scan as itself, and scan and counter commit together', async () => {
    const result = await t.gql(RECORD, { input: { scanType: 'checkin', subjectId: 'badge-7' } }, { token: await token('OPERATOR', 'gate-3') });
    expect(result.errors).toBeUndefined();
    const scan = result.data!.recordScan;
    expect(scan).toMatchObject({ scanType: 'checkin', subjectId: 'badge-7', scannedBy: 'gate-3' });
    expect(scan.rowId).toMatch(/^\d+$/);
    expect(Date.now() - Date.parse(scan.createdAt)).toBeLessThan(60_000);
    const [row] = await t.sql`select scan_type, subject_id, scanned_by from scans where id = ${scan.rowId}`;
    expect(row).toEqual({ scan_type: 'checkin', subject_id: 'badge-7', scanned_by: 'gate-3' });
    expect(await cache(t.sql)).toEqual([{ scanType: 'checkin', count: 1 }]);
  });

  it('refuses recordScan to VIEWER (FORBIDDEN) and to no token (UNAUTHENTICATED), writing nothing', async () => {
    const before = await rowCounts();
    const input = { scanType: 'checkin', subjectId: 'x' };
    expect(codes(await t.gql(RECORD, { input }, 'VIEWER'))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(RECORD, { input }, null))).toEqual(['UNAUTHENTICATED']);
    expect(await rowCounts()).toEqual(before);
  });

  it('lets VIEWER read scanStats, but not an anonymous caller', async () => {
    expect((await t.gql(STATS, {}, 'VIEWER')).data!.scanStats.total).toBe(1);
    expect(codes(await t.gql(STATS, {}, null))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets SUPERADMIN rebalance; ADMIN and OPERATOR get FORBIDDEN, no token UNAUTHENTICATED', async () => {
    expect(codes(await t.gql(REBALANCE, {}, 'ADMIN'))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(REBALANCE, {}, 'OPERATOR'))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(REBALANCE, {}, null))).toEqual(['UNAUTHENTICATED']);
    const [audit] = await t.sql<{ n: number }[]>`select count(*)::int as n from audit_log`;
    expect(audit!.n).toBe(0);
    const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
    expect(result.errors).toBeUndefined();
    expect(result.data!.rebalanceScanStats).toMatchObject({ stats: [{ scanType: 'checkin', count: 1 }], total: 1 });
  });
});

describe('recordScan atomicity', () => {
  it('writes no scan when the counter bump fails', async () => {
    const before = await rowCounts();
    await t.sql`create function refuse_bump() returns trigger language plpgsql as $$ begin raise exception 'bump refused'; end $$`;
    await t.sql`create trigger refuse_bump before insert or update on scan_counters for each row execute function refuse_bump()`;
    try {
      const result = await t.gql(RECORD, { input: { scanType: 'checkin', subjectId: 'x' } }, 'OPERATOR');
      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
    } finally {
      await t.sql`drop trigger refuse_bump on scan_counters`;
      await t.sql`drop function refuse_bump()`;
    }
    expect(await rowCounts()).toEqual(before);
  });
});

describe('scanStats', () => {
  it('sorts by scanType in byte order, leaves zero counts out, and totals', async () => {
    await t.sql`delete from scans`;
    await t.sql`delete from scan_counters`;
    const wanted: Record<string, number> = { swag: 2, lunch: 3, check_in: 1, checkin2: 2, ab: 1, a_b: 4 };
    for (const [type, n] of Object.entries(wanted)) for (let i = 0; i < n; i++) await record(t, type);
    // A counter that dropped to zero (e.g. by hand) is not shown.
    await t.sql`insert into scan_counters (scan_type, slot, count) values ('zero', 0, 0)`;
    const { scanStats } = (await t.gql(STATS, {}, 'VIEWER')).data!;
    expect(scanStats.stats).toEqual([
      { scanType: 'a_b', count: 4 },
      { scanType: 'ab', count: 1 },
      { scanType: 'check_in', count: 1 },
      { scanType: 'checkin2', count: 2 },
      { scanType: 'lunch', count: 3 },
      { scanType: 'swag', count: 2 },
    ]);
    expect(scanStats.total).toBe(13);
    const [row] = await t.sql<{ latest: Date }[]>`select max(updated_at) as latest from scan_counters`;
    expect(new Date(scanStats.updatedAt).getTime()).toBe(row!.latest.getTime());
  });

  it('sums every slot of a type', async () => {
    await t.sql`insert into scan_counters (scan_type, slot, count) values ('slotted', 3, 5), ('slotted', 9, 7) on conflict do nothing`;
    const { scanStats } = (await t.gql(STATS, {}, 'VIEWER')).data!;
    expect(scanStats.stats).toContainEqual({ scanType: 'slotted', count: 12 });
    expect(scanStats.total).toBe(25);
  });

  it('reads only the cache, never the scans table', async () => {
    await t.sql`insert into scans (scan_type, subject_id, scanned_by) values ('uncached', 'x', 'sql')`;
    const { scanStats } = (await t.gql(STATS, {}, 'VIEWER')).data!;
    expect(scanStats.stats.map((s: { scanType: string }) => s.scanType)).not.toContain('uncached');
  });
});

describe('rebalanceScanStats', () => {
  it('repairs wrong counts, a missing type and a stale type, and returns the new stats', async () => {
    await t.sql`delete from scans`;
    await t.sql`delete from scan_counters`;
    for (const [type, n] of Object.entries({ checkin: 3, lunch: 2, swag: 1 })) for (let i = 0; i < n; i++) await record(t, type);
    // Drift, by hand: a wrong count spread over slots, a lost type, a type whose scans are gone.
    await t.sql`delete from scan_counters where scan_type in ('checkin', 'lunch')`;
    await t.sql`insert into scan_counters (scan_type, slot, count) values ('checkin', 0, 90), ('checkin', 5, 9), ('ghost', 0, 5), ('gone', 2, 0)`;

    const result = await t.gql(REBALANCE, {}, { token: await token('SUPERADMIN', 'root-1') });
    expect(result.errors).toBeUndefined();
    const expected = [
      { scanType: 'checkin', count: 3 },
      { scanType: 'lunch', count: 2 },
      { scanType: 'swag', count: 1 },
    ];
    expect(result.data!.rebalanceScanStats).toMatchObject({ stats: expected, total: 6 });
    expect(await truth(t.sql)).toEqual(expected);
    expect(await cache(t.sql)).toEqual(expected);
    const types = await t.sql`select distinct scan_type from scan_counters order by 1`;
    expect(types.map((r) => r.scan_type)).toEqual(['checkin', 'lunch', 'swag']);
    expect((await t.gql(STATS, {}, 'VIEWER')).data!.scanStats).toEqual(result.data!.rebalanceScanStats);

    const [entry] = await t.sql`select actor, action, target, details from audit_log order by id desc limit 1`;
    expect(entry).toEqual({
      actor: 'root-1',
      action: 'rebalanceScanStats',
      target: 'scan_counters',
      details: {
        oldCounts: { checkin: 99, ghost: 5, gone: 0, swag: 1 },
        newCounts: { checkin: 3, lunch: 2, swag: 1 },
        drift: { checkin: -96, ghost: -5, lunch: 2 },
      },
    });
  });

  it('clears the cache when there are no scans at all', async () => {
    await t.sql`delete from scans`;
    const result = await t.gql(REBALANCE, {}, 'SUPERADMIN');
    expect(result.data!.rebalanceScanStats).toEqual({ stats: [], total: 0, updatedAt: null });
    expect(await t.sql`select * from scan_counters`).toHaveLength(0);
  });

  it('keeps counting after a rebalance', async () => {
    await record(t, 'checkin');
    await record(t, 'checkin');
    expect(await cache(t.sql)).toEqual([{ scanType: 'checkin', count: 2 }]);
  });

  it('is listed by auditLog, newest first, page by page', async () => {
    const AUDIT = `query ($after: String) {
      auditLog(first: 2, after: $after, action: "rebalanceScanStats") {
        totalCount pageInfo { hasNextPage endCursor } nodes { id: rowId actor action details }
      }
    }`;
    await t.gql(REBALANCE, {}, { token: await token('SUPERADMIN', 'root-2') });
    const ids = (await t.sql`select id::text from audit_log where action = 'rebalanceScanStats' order by id desc`).map((r) => r.id);
    expect(ids).toHaveLength(4);

    const first = (await t.gql(AUDIT, {}, 'ADMIN')).data!.auditLog;
    expect(first.totalCount).toBe(4);
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual(ids.slice(0, 2));
    expect(first.nodes[0]).toMatchObject({ actor: 'root-2', action: 'rebalanceScanStats', details: { drift: {}, newCounts: { checkin: 2 } } });
    expect(first.pageInfo.hasNextPage).toBe(true);

    const second = (await t.gql(AUDIT, { after: first.pageInfo.endCursor }, 'ADMIN')).data!.auditLog;
    expect(second.nodes.map((n: { id: string }) => n.id)).toEqual(ids.slice(2, 4));
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

const COUNT = 'query ($since: String!, $kind: OrchestratorKind) { failureCount(since: $since, kind: $kind) { since kind count asOf } }';
const COUNT_DEFAULT = '{ failureCount { since kind count asOf } }';
const RECORD = 'mutation ($input: RecordOrchestratorEventInput!) { recordOrchestratorEvent(input: $input) { id: rowId kind success detail occurredAt } }';

async function count(since: string, kind: string | null = null): Promise<number> {
  const result = await t.gql(COUNT, { since, kind }, 'VIEWER');
  expect(result.errors).toBeUndefined();
  return result.data!.failureCount.count;
}

async function record(input: Record<string, unknown>) {
  const result = await t.gql(RECORD, { input }, 'OPERATOR');
  expect(result.errors).toBeUndefined();
  return result.data!.recordOrchestratorEvent;
}

/** The database clock, which the badge's window ends at. */
async function dbNow(): Promise<Date> {
  const [row] = await t.sql<{ now: Date }[]>`select now()`;
  return row!.now;
}

const ago = (from: Date, ms: number) => new Date(from.getTime() - ms).toISOString();

describe('since grammar', () => {
  const accepted = ['1s', '59s', '60s', '1m', '15m', '1h', '24h', '1d', '7d', '168h', '10080m', '604800s', '604799s'];
  for (const since of accepted) {
    it(`accepts ${JSON.stringify(since)} and echoes it`, async () => {
      const result = await t.gql(COUNT, { since }, 'VIEWER');
      expect(result.errors).toBeUndefined();
      expect(result.data!.failureCount).toMatchObject({ since, kind: null });
      expect(Number.isInteger(result.data!.failureCount.count)).toBe(true);
    });
  }

  const malformed = [
    '', ' ', '0s', '0m', '0h', '0d', '00h', '01h', '007d', '1', '15', 'h', 'm', '1H', '1D', '1w', '1y', '1ms', '1.5h', '1,5h',
    '.5h', '+1h', '-1h', ' 1h', '1h ', '1h\n', '\t1h', '1 h', '1e3s', '1d1h', '1hh', 'h1', '１h', '٣h', 'null', '1h;',
  ];
  for (const since of malformed) {
    it(`refuses ${JSON.stringify(since)} with the accepted form and examples`, async () => {
      const result = await t.gql(COUNT, { since }, 'VIEWER');
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toContain('^[1-9][0-9]*[smhd]$');
      expect(result.errors![0]!.message).toMatch(/15m, 1h, 24h or 7d/);
      expect(result.data).toBeNull();
    });
  }

  const tooLong = ['8d', '169h', '10081m', '604801s', '1000000s', '9999999d', '99999999999999999999999999d', `1${'0'.repeat(400)}s`];
  for (const since of tooLong) {
    it(`refuses ${since.length > 30 ? `a ${since.length}-character number` : since} naming the 7-day maximum`, async () => {
      const result = await t.gql(COUNT, { since }, 'VIEWER');
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toContain('at most 7 days');
    });
  }

  it('defaults since to 1h', async () => {
    const result = await t.gql(COUNT_DEFAULT, {}, 'VIEWER');
    expect(result.errors).toBeUndefined();
    expect(result.data!.failureCount.since).toBe('1h');
  });

  it('refuses a since given inline in the query the same way', async () => {
    const result = await t.gql('{ failureCount(since: "8d") { count } }', {}, 'VIEWER');
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('recordOrchestratorEvent', () => {
  it('writes TRAFFIC and FILE to orchestrator_events and EMAIL to orchestrator_emails, with ids unique across both', async () => {
    const traffic = await record({ kind: 'TRAFFIC', success: false, detail: 'link down' });
    const file = await record({ kind: 'FILE', success: true });
    const email = await record({ kind: 'EMAIL', success: false, detail: 'bounced' });
    expect(traffic).toMatchObject({ kind: 'TRAFFIC', success: false, detail: 'link down' });
    expect(file).toMatchObject({ kind: 'FILE', success: true, detail: null });
    expect(email).toMatchObject({ kind: 'EMAIL', success: false, detail: 'bounced' });
    expect(traffic.id).toMatch(/^event:\d+$/);
    expect(email.id).toMatch(/^email:\d+$/);
    expect(new Set([traffic.id, file.id, email.id]).size).toBe(3);

    const [events] = await t.sql`select count(*)::int as n from orchestrator_events where id = ${traffic.id.slice(6)} and kind = 'TRAFFIC'`;
    const [emails] = await t.sql`select count(*)::int as n from orchestrator_emails where id = ${email.id.slice(6)} and detail = 'bounced'`;
    expect([events!.n, emails!.n]).toEqual([1, 1]);
  });

  it('defaults occurredAt to the database clock', async () => {
    const before = await dbNow();
    const event = await record({ kind: 'FILE', success: false });
    const after = await dbNow();
    const at = new Date(event.occurredAt).getTime();
    expect(at).toBeGreaterThanOrEqual(before.getTime());
    expect(at).toBeLessThanOrEqual(after.getTime());
  });

  it('keeps an explicit occurredAt, in the past or up to 5 minutes ahead', async () => {
    const past = await record({ kind: 'TRAFFIC', success: true, occurredAt: '2020-01-02T03:04:05.678Z' });
    expect(past.occurredAt).toBe('2020-01-02T03:04:05.678Z');
    const soon = new Date(Date.now() + 4 * 60_000).toISOString();
    expect((await record({ kind: 'EMAIL', success: true, occurredAt: soon })).occurredAt).toBe(soon);
  });

  it('refuses occurredAt more than 5 minutes in the future, writing nothing', async () => {
    const [before] = await t.sql`select (select count(*) from orchestrator_events) + (select count(*) from orchestrator_emails) as n`;
    for (const kind of ['TRAFFIC', 'EMAIL']) {
      const occurredAt = new Date(Date.now() + 5 * 60_000 + 5_000).toISOString();
      const result = await t.gql(RECORD, { input: { kind, success: false, occurredAt } }, 'OPERATOR');
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toContain('5 minutes');
    }
    const [after] = await t.sql`select (select count(*) from orchestrator_events) + (select count(*) from orchestrator_emails) as n`;
    expect(after!.n).toBe(before!.n);
  });

  it('accepts detail of exactly 10000 characters, counting code points, and refuses 10001', async () => {
    expect((await record({ kind: 'FILE', success: true, detail: 'x'.repeat(10_000) })).detail).toHaveLength(10_000);
    const emoji = '🔥'.repeat(10_000); // 20000 UTF-16 units, 10000 characters
    expect((await record({ kind: 'EMAIL', success: true, detail: emoji })).detail).toBe(emoji);
    for (const detail of ['x'.repeat(10_001), '🔥'.repeat(10_001)]) {
      const result = await t.gql(RECORD, { input: { kind: 'TRAFFIC', success: false, detail } }, 'OPERATOR');
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toContain('10000');
    }
  });

  it('refuses an occurredAt without an offset', async () => {
    const result = await t.gql(RECORD, { input: { kind: 'FILE', success: false, occurredAt: '2026-01-01T00:00:00' } }, 'OPERATOR');
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('failureCount', () => {
  it('counts failures across both tables, by kind, never successes', async () => {
    const before = { all: await count('1h'), TRAFFIC: await count('1h', 'TRAFFIC'), FILE: await count('1h', 'FILE'), EMAIL: await count('1h', 'EMAIL') };
    const now = await dbNow();
    const at = ago(now, 10 * 60_000);
    for (let i = 0; i < 3; i++) await record({ kind: 'TRAFFIC', success: false, occurredAt: at });
    for (let i = 0; i < 2; i++) await record({ kind: 'FILE', success: false, occurredAt: at });
    await record({ kind: 'EMAIL', success: false, occurredAt: at });
    for (const kind of ['TRAFFIC', 'FILE', 'EMAIL']) await record({ kind, success: true, occurredAt: at });

    expect(await count('1h')).toBe(before.all + 6);
    expect(await count('1h', 'TRAFFIC')).toBe(before.TRAFFIC + 3);
    expect(await count('1h', 'FILE')).toBe(before.FILE + 2);
    expect(await count('1h', 'EMAIL')).toBe(before.EMAIL + 1);
  });

  it('counts rows that other services write by direct SQL into either table', async () => {
    const before = { all: await count('15m'), FILE: await count('15m', 'FILE'), EMAIL: await count('15m', 'EMAIL') };
    await t.sql`insert into orchestrator_events (kind, success) values ('FILE', false), ('FILE', false), ('FILE', true)`;
    await t.sql`insert into orchestrator_emails (success, occurred_at) values (false, now() - interval '1 minute'), (true, now())`;
    await t.sql`insert into orchestrator_emails (success, detail) select false, 'bulk ' || g from generate_series(1, 4) g`;
    expect(await count('15m', 'FILE')).toBe(before.FILE + 2);
    expect(await count('15m', 'EMAIL')).toBe(before.EMAIL + 5);
    expect(await count('15m')).toBe(before.all + 7);
  });

  it('follows direct SQL updates and deletes of failed rows', async () => {
    const before = await count('1h', 'EMAIL');
    const [row] = await t.sql<{ id: string }[]>`insert into orchestrator_emails (success) values (false) returning id::text`;
    expect(await count('1h', 'EMAIL')).toBe(before + 1);
    await t.sql`update orchestrator_emails set success = true where id = ${row!.id}`;
    expect(await count('1h', 'EMAIL')).toBe(before);
    await t.sql`update orchestrator_emails set success = false where id = ${row!.id}`;
    expect(await count('1h', 'EMAIL')).toBe(before + 1);
    await t.sql`update orchestrator_emails set occurred_at = now() - interval '2 hours' where id = ${row!.id}`;
    expect(await count('1h', 'EMAIL')).toBe(before);
    expect(await count('3h', 'EMAIL')).toBeGreaterThanOrEqual(before + 1);
    await t.sql`delete from orchestrator_emails where id = ${row!.id}`;
    expect(await count('1h', 'EMAIL')).toBe(before);
  });

  it('counts a row just inside the window and not one just outside it', async () => {
    const before = await count('15m', 'TRAFFIC');
    const now = await dbNow();
    // asOf is read after `now`, so the window starts after now − 15m: 1 ms before that is outside for
    // sure, 20 s after it is inside as long as this test takes less than 20 s.
    await record({ kind: 'TRAFFIC', success: false, occurredAt: ago(now, 15 * 60_000 + 1) });
    await record({ kind: 'TRAFFIC', success: false, occurredAt: ago(now, 15 * 60_000 - 20_000) });
    const result = await t.gql(COUNT, { since: '15m', kind: 'TRAFFIC' }, 'VIEWER');
    expect(result.data!.failureCount.count).toBe(before + 1);
    expect(new Date(result.data!.failureCount.asOf).getTime()).toBeGreaterThanOrEqual(now.getTime() - 1);
  });

  it('counts a failure up to 5 minutes ahead only once asOf reaches it', async () => {
    const before = await count('1h', 'FILE');
    await record({ kind: 'FILE', success: false, occurredAt: new Date(Date.now() + 4 * 60_000).toISOString() });
    expect(await count('1h', 'FILE')).toBe(before);
  });

  it('returns the kind it was asked for, and asOf from the database clock in whole milliseconds', async () => {
    const before = await dbNow();
    const result = await t.gql(COUNT, { since: '24h', kind: 'EMAIL' }, 'VIEWER');
    const after = await dbNow();
    expect(result.data!.failureCount).toMatchObject({ since: '24h', kind: 'EMAIL' });
    const asOf = new Date(result.data!.failureCount.asOf).getTime();
    expect(asOf).toBeGreaterThanOrEqual(Math.floor(before.getTime()));
    expect(asOf).toBeLessThanOrEqual(after.getTime());
  });
});

describe('roles', () => {
  it('lets a VIEWER read the count', async () => {
    expect(codes(await t.gql(COUNT_DEFAULT, {}, 'VIEWER'))).toEqual([]);
  });

  it('lets an OPERATOR record', async () => {
    expect(codes(await t.gql(RECORD, { input: { kind: 'FILE', success: true } }, 'OPERATOR'))).toEqual([]);
    expect(codes(await t.gql(RECORD, { input: { kind: 'EMAIL', success: true } }, 'SUPERADMIN'))).toEqual([]);
  });

  it('refuses a VIEWER recording with FORBIDDEN, writing nothing', async () => {
    const [before] = await t.sql`select count(*)::int as n from orchestrator_emails`;
    const result = await t.gql(RECORD, { input: { kind: 'EMAIL', success: false } }, 'VIEWER');
    expect(codes(result)).toEqual(['FORBIDDEN']);
    const [after] = await t.sql`select count(*)::int as n from orchestrator_emails`;
    expect(after!.n).toBe(before!.n);
  });

  it('refuses both fields without a token with UNAUTHENTICATED', async () => {
    expect(codes(await t.gql(COUNT_DEFAULT, {}, null))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.gql(RECORD, { input: { kind: 'FILE', success: false } }, null))).toEqual(['UNAUTHENTICATED']);
  });
});

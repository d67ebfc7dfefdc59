// Query.failureSeries: the failure badge per step and kind, from the buckets.
// The points sum to failureCount for the same window and kind, each point
// counts exactly its step of the window (checked against a count(*) of the
// rows for random data and windows), the step is validated, and nobody without
// a role reads it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Services } from '../src/context.js';
import type { Sql } from '../src/db/client.js';
import { MAX_SERIES_STEPS, parseSince, parseStep } from '../src/failure-window.js';
import { globalId } from '../src/global-ids.js';
import { failureSeries, type FailureSeries } from '../src/resolvers/failure-series.js';
import { countFailures } from '../src/resolvers/failures.js';
import { codes, useTestApp } from './helpers.js';
import { rolledBack } from './failures-fixtures.js';

const statements: string[] = [];
const t = useTestApp({}, { onQuery: (query) => statements.push(query) });
const KINDS = ['TRAFFIC', 'FILE', 'EMAIL'] as const;
type Kind = (typeof KINDS)[number];


const services = (sql: Sql): Services => ({ sql, config: t.app.config, log: t.app.log });
const list = (values: unknown[]) => `{${values.map((v) => `"${String(v)}"`).join(',')}}`;

/** Failed (and some successful) rows at µs offsets from `base`, in two statements. */
async function insertRows(tx: Sql, base: Date, rows: { kind: Kind; success: boolean; offsetUs: number }[]) {
  const events = rows.filter((row) => row.kind !== 'EMAIL');
  const emails = rows.filter((row) => row.kind === 'EMAIL');
  await tx`
    insert into orchestrator_events (kind, success, occurred_at)
    select k, s, ${base}::timestamptz + o * interval '1 microsecond'
    from unnest(${list(events.map((r) => r.kind))}::text[], ${list(events.map((r) => r.success))}::bool[], ${list(events.map((r) => r.offsetUs))}::bigint[]) as u(k, s, o)`;
  await tx`
    insert into orchestrator_emails (success, occurred_at)
    select s, ${base}::timestamptz + o * interval '1 microsecond'
    from unnest(${list(emails.map((r) => r.success))}::bool[], ${list(emails.map((r) => r.offsetUs))}::bigint[]) as u(s, o)`;
}

/**
 * Per point, a count(*) of the failed rows of each kind in
 * [max(at, asOf − since), min(at + step, asOf + 1 µs)): the step as the
 * window cuts it, straight from the tables, with no bucket and no date_bin.
 */
async function bruteForce(tx: Sql, series: FailureSeries, sinceSeconds: number, stepSeconds: number, kind: Kind | null) {
  const rows = await tx<{ traffic: number; file: number; email: number }[]>`
    select
      (select count(*) from orchestrator_events where not success and kind = 'TRAFFIC' and occurred_at >= lo and occurred_at < hi)::int as traffic,
      (select count(*) from orchestrator_events where not success and kind = 'FILE' and occurred_at >= lo and occurred_at < hi)::int as file,
      (select count(*) from orchestrator_emails where not success and occurred_at >= lo and occurred_at < hi)::int as email
    from unnest(${list(series.points.map((p) => p.at.toISOString()))}::timestamptz[]) with ordinality as p(at, i),
      lateral (select greatest(p.at, ${series.asOf}::timestamptz - make_interval(secs => ${sinceSeconds})) as lo,
                      least(p.at + make_interval(secs => ${stepSeconds}), ${series.asOf}::timestamptz + interval '1 microsecond') as hi) w
    order by p.i`;
  return rows.map((row) => {
    const only = (k: Kind, n: number) => (kind === null || kind === k ? n : 0);
    const traffic = only('TRAFFIC', row.traffic);
    const file = only('FILE', row.file);
    const email = only('EMAIL', row.email);
    return { count: traffic + file + email, traffic, file, email };
  });
}

/** Every (since, step) the API accepts from these spellings. */
const SINCES = ['2s', '90s', '15m', '1h', '61m', '3h', '24h', '25h', '7d'];
const STEPS = ['1s', '7s', '30s', '1m', '90s', '2m', '7m', '15m', '1h', '2h', '6h', '1d'];
const SHAPES = SINCES.flatMap((since) =>
  STEPS.filter((step) => {
    try {
      parseStep(step, parseSince(since));
      return true;
    } catch {
      return false;
    }
  }).map((step) => ({ since, step })),
);

describe('failureSeries against failureCount and the rows', () => {
  it('has shapes to try, with minutes, hours and days, and sub-minute steps', () => {
    expect(SHAPES.length).toBeGreaterThan(40);
    expect(SHAPES).toContainEqual({ since: '7d', step: '1d' });
    expect(SHAPES).toContainEqual({ since: '1h', step: '7s' });
    expect(SHAPES).not.toContainEqual({ since: '3h', step: '90s' });
  });

  it('sums to failureCount for the same window and kind, and every point counts exactly its step (random rows and windows)', async () => {
    const US_MIN = 60e6;
    const US_HOUR = 3600e6;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SHAPES),
        fc.constantFrom<Kind | null>(null, ...KINDS),
        // Offsets back from asOf in µs: anywhere in 7 days and a bit, or near a minute, an hour, a step or a window edge.
        fc.array(
          fc.record({
            kind: fc.constantFrom(...KINDS),
            success: fc.boolean(),
            back: fc.oneof(
              fc.integer({ min: -2, max: 7 * 86_400e6 + US_HOUR }),
              fc.tuple(fc.integer({ min: 0, max: 7 * 24 * 60 }), fc.constantFrom(-1, 0, 1)).map(([m, d]) => m * US_MIN + d),
              fc.tuple(fc.integer({ min: 0, max: 170 }), fc.constantFrom(-1, 0, 1)).map(([h, d]) => h * US_HOUR + d),
              fc.constantFrom(-1, 0, 1),
            ),
            // Snap to the UTC grid (minute, hour) rather than to asOf, or to the window's start.
            snap: fc.constantFrom('none', 'grid', 'lo'),
          }),
          { maxLength: 120 },
        ),
        async (shape, kind, rows) => {
          await rolledBack(t.sql, async (tx) => {
            const [{ asOf }] = (await tx`select date_trunc('milliseconds', now()) as "asOf"`) as unknown as [{ asOf: Date }];
            const sinceSeconds = parseSince(shape.since);
            const stepSeconds = parseStep(shape.step, sinceSeconds);
            const asOfUs = asOf.getTime() * 1000;
            const placed = rows.map((row) => {
              let at = asOfUs - row.back;
              if (row.snap === 'grid') at = Math.floor(at / US_MIN) * US_MIN + (row.back % 3) - 1;
              if (row.snap === 'lo') at = asOfUs - sinceSeconds * 1e6 + (row.back % 3) - 1;
              return { kind: row.kind, success: row.success, offsetUs: at - asOfUs };
            });
            await insertRows(tx, asOf, placed);
            const series = await failureSeries(services(tx), { ...shape, kind });
            const count = await countFailures(services(tx), { since: shape.since, kind });
            expect(series.asOf).toEqual(asOf);
            expect(series.total).toBe(count.count);
            expect(series.points.reduce((sum, p) => sum + p.count, 0)).toBe(series.total);
            expect(series.points.map(({ count, traffic, file, email }) => ({ count, traffic, file, email }))).toEqual(
              await bruteForce(tx, series, sinceSeconds, stepSeconds, kind),
            );
          });
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('failureSeries at its edges', () => {
  for (const { since, step } of [
    { since: '2s', step: '1s' },
    { since: '15m', step: '1m' },
    { since: '1h', step: '7s' },
    { since: '24h', step: '1h' },
    { since: '7d', step: '1d' },
  ]) {
    it(`counts failures at asOf − ${since} and at asOf exactly, not 1 µs outside either (step ${step})`, async () => {
      await rolledBack(t.sql, async (tx) => {
        const [{ asOf }] = (await tx`select date_trunc('milliseconds', now()) as "asOf"`) as unknown as [{ asOf: Date }];
        const us = parseSince(since) * 1e6;
        await insertRows(tx, asOf, [
          { kind: 'TRAFFIC', success: false, offsetUs: -us },
          { kind: 'EMAIL', success: false, offsetUs: 0 },
          { kind: 'FILE', success: false, offsetUs: -us - 1 },
          { kind: 'EMAIL', success: false, offsetUs: 1 },
          { kind: 'FILE', success: true, offsetUs: -us },
        ]);
        const series = await failureSeries(services(tx), { since, step });
        expect(series.total).toBe(2);
        expect(series.points[0]).toMatchObject({ count: 1, traffic: 1, file: 0, email: 0 });
        expect(series.points.at(-1)).toMatchObject({ count: 1, traffic: 0, file: 0, email: 1 });
        expect(series.from).toEqual(new Date(asOf.getTime() - us / 1000));
      });
    });
  }

  it('lays the points on the UTC epoch grid, oldest first, every step present', async () => {
    await rolledBack(t.sql, async (tx) => {
      const series = await failureSeries(services(tx), { since: '1h', step: '1m' });
      const asOf = series.asOf.getTime();
      const ats = series.points.map((p) => p.at.getTime());
      expect(ats[0]).toBe(Math.floor((asOf - 3_600_000) / 60_000) * 60_000);
      expect(ats.at(-1)).toBe(Math.floor(asOf / 60_000) * 60_000);
      expect(ats.every((at, i) => i === 0 || at - ats[i - 1]! === 60_000)).toBe(true);
      expect(series.points).toHaveLength(61);
      const days = await failureSeries(services(tx), { since: '7d', step: '1d' });
      expect(days.points.every((p) => p.at.toISOString().endsWith('T00:00:00.000Z'))).toBe(true);
    });
  });
});

describe('Query.failureSeries over HTTP', () => {
  const QUERY = `query($since: String!, $step: String!, $kind: OrchestratorKind) {
    failureSeries(since: $since, step: $step, kind: $kind) { id since step kind total asOf from points { at count traffic file email } }
    failureCount(since: $since, kind: $kind) { id count }
  }`;

  it('reads the series in one statement, with an id per window, step and kind', async () => {
    await t.sql`insert into orchestrator_events (kind, success, occurred_at) values ('FILE', false, now() - interval '5 minutes')`;
    statements.length = 0;
    const { data, errors } = await t.gql(`{ failureSeries(since: "60m", step: "60s", kind: FILE) { id total points { count } } }`, {}, 'VIEWER');
    expect(errors).toBeUndefined();
    expect(data!.failureSeries.id).toBe(globalId('FailureSeries', '1h/1m:FILE'));
    expect(data!.failureSeries.total).toBeGreaterThanOrEqual(1);
    const reads = statements.filter((text) => !/pg_catalog\.pg_type/.test(text));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/orchestrator_failure_series/);
    const defaults = await t.gql(`{ failureSeries { id since step kind points { at } } }`, {}, 'VIEWER');
    expect(defaults.data!.failureSeries).toMatchObject({ id: globalId('FailureSeries', '1h/1m'), since: '1h', step: '1m', kind: null });
  });

  it('matches failureCount in the same request when nothing is written meanwhile', async () => {
    const { data } = await t.gql(QUERY, { since: '24h', step: '1h', kind: null }, 'VIEWER');
    expect(data!.failureSeries.total).toBe(data!.failureCount.count);
    expect(data!.failureSeries.points).toHaveLength(25);
  });

  it('validates step like since, with messages that say what would do', async () => {
    const refused = async (since: string, step: string) => {
      const result = await t.gql(QUERY, { since, step }, 'VIEWER');
      expect(codes(result), `${since}/${step}`).toEqual(['BAD_USER_INPUT']);
      expect(result.data).toBeNull();
      return result.errors![0]!;
    };
    for (const step of ['0m', '01m', '1M', '1.5m', ' 1m', '1ms', 'm', '', '1w']) {
      const error = await refused('1h', step);
      expect(error.message).toMatch(/^step must match/);
      expect(error.extensions!.argument).toBe('step');
    }
    expect((await refused('1h', '2h')).message).toBe('step may be at most since (1h)');
    expect((await refused('1h', '8d')).message).toBe('step may be at most since (1h)');
    expect((await refused('1h', `${'9'.repeat(400)}s`)).message).toBe('step may be at most since (1h)');
    expect((await refused('7d', '1m')).message).toBe(`since may hold at most ${MAX_SERIES_STEPS} steps: for since 7d, step must be at least 7m`);
    expect((await refused('1h', '2s')).message).toBe(`since may hold at most ${MAX_SERIES_STEPS} steps: for since 1h, step must be at least 3s`);
    expect((await refused('3h', '90s')).message).toMatch(/^step must be a whole number of minutes for windows over 1h/);
    // since is checked first, with its own message.
    expect((await refused('8d', '1m')).message).toMatch(/^since may be at most 7 days/);
  });

  it('allows exactly the cap: 1440 steps (1441 points when the window starts mid-step)', async () => {
    for (const [since, step] of [['24h', '1m'], ['7d', '7m'], ['7d', '420s'], ['1h', '3s'], ['2s', '2s']] as const) {
      const { data, errors } = await t.gql(QUERY, { since, step }, 'VIEWER');
      expect(errors, `${since}/${step}`).toBeUndefined();
      const steps = Math.ceil(parseSince(since) / parseStep(step, parseSince(since)));
      expect(data!.failureSeries.points.length).toBeGreaterThanOrEqual(steps);
      expect(data!.failureSeries.points.length).toBeLessThanOrEqual(steps + 1);
    }
  });

  it('is refused without a role, and for a token that is no longer valid', async () => {
    const anonymous = await t.gql(`{ failureSeries { total } }`, {}, null);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.data ?? null).toBeNull();
    const forged = await t.gql(`{ failureSeries { total } }`, {}, { token: 'not.a.token' });
    expect(codes(forged)).toEqual(['UNAUTHENTICATED']);
  });
});

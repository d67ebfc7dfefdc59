// Exactness of the bucket-based failure count: window edges to the
// microsecond, minute and hour bucket edges, every kind of direct write, and
// random windows against a brute-force count(*).
import { describe, expect, it } from 'vitest';
import type { Services } from '../src/context.js';
import type { Sql } from '../src/db/client.js';
import { MAX_WINDOW_SECONDS, parseSince } from '../src/failure-window.js';
import { countFailures, oldestFailureInWindow } from '../src/resolvers/failures.js';
import { useTestApp } from './helpers.js';
import { rolledBack } from './failures-fixtures.js';

const t = useTestApp();
const KINDS = ['TRAFFIC', 'FILE', 'EMAIL'] as const;


/** A PostgreSQL array literal of plain values: sent as text, so postgres.js infers nothing. */
const list = (values: unknown[]) => `{${values.map((v) => (v === '' ? '""' : `"${String(v)}"`)).join(',')}}`;

const services = (sql: Sql): Services => ({ sql, config: t.app.config, log: t.app.log });

/** Inserts one row of `kind` at `at`, a timestamptz literal (µs precision; postgres.js would parse a Date to ms). */
async function fail(tx: Sql, kind: (typeof KINDS)[number], at: string, success = false) {
  if (kind === 'EMAIL') await tx`insert into orchestrator_emails (success, occurred_at) values (${success}, ${at}::text::timestamptz)`;
  else await tx`insert into orchestrator_events (kind, success, occurred_at) values (${kind}, ${success}, ${at}::text::timestamptz)`;
}

/** Every window [lo, hi] over `instants` (lo <= hi) whose bucket count differs from a brute-force count. */
async function mismatches(tx: Sql, instants: string[], kinds: string[] | null) {
  return tx<{ lo: string; hi: string; buckets: number; brute: number }[]>`
    with i as (select unnest(string_to_array(${instants.join(',')}, ',')::timestamptz[]) as at),
    w as (select a.at as lo, b.at as hi from i a join i b on a.at <= b.at)
    select lo::text, hi::text, buckets, brute from (
      select lo, hi, orchestrator_failure_count(lo, hi, ${kinds}::text[]) as buckets,
        (select count(*) from orchestrator_events where not success and occurred_at between lo and hi
           and (${kinds}::text[] is null or kind = any(${kinds}::text[])))
      + (select count(*) from orchestrator_emails where not success and occurred_at between lo and hi
           and (${kinds}::text[] is null or 'EMAIL' = any(${kinds}::text[]))) as brute
      from w) compared
    where buckets <> brute`;
}

describe('parseSince', () => {
  it('turns each unit into seconds, up to exactly 7 days', () => {
    expect([parseSince('1s'), parseSince('15m'), parseSince('1h'), parseSince('24h'), parseSince('7d')]).toEqual([1, 900, 3600, 86_400, 604_800]);
    expect([parseSince('168h'), parseSince('10080m'), parseSince('604800s')]).toEqual(Array(3).fill(MAX_WINDOW_SECONDS));
    expect(() => parseSince('604801s')).toThrow(/at most 7 days/);
    expect(() => parseSince(`${'9'.repeat(400)}d`)).toThrow(/at most 7 days/);
  });
});

describe('window edges, with asOf the database clock', () => {
  for (const since of ['1s', '90s', '15m', '1h', '24h', '7d']) {
    it(`counts failures at asOf − ${since} and at asOf exactly, not 1 µs outside either`, async () => {
      await rolledBack(t.sql, async (tx) => {
        // now() is fixed for a transaction, so this is the asOf countFailures will use.
        const [{ asOf }] = (await tx`select date_trunc('milliseconds', now()) as "asOf"`) as unknown as [{ asOf: Date }];
        const seconds = parseSince(since);
        // Offsets from asOf in µs. Events: failures at both edges exactly (in) and 1 µs beyond each (out),
        // successes at both edges. E-mails: failures 1 µs inside each edge (in) and 1 ms beyond each (out).
        await tx`
          insert into orchestrator_events (kind, success, occurred_at)
          select 'TRAFFIC', s, ${asOf}::timestamptz + o * interval '1 microsecond'
          from unnest(array[false, false, false, false, true, true],
                      array[-${seconds}::bigint * 1000000, 0, -${seconds}::bigint * 1000000 - 1, 1,
                            -${seconds}::bigint * 1000000, 0]) as u(s, o)`;
        await tx`
          insert into orchestrator_emails (success, occurred_at)
          select false, ${asOf}::timestamptz + o * interval '1 microsecond'
          from unnest(array[-${seconds}::bigint * 1000000 + 1, -1, -${seconds}::bigint * 1000000 - 1000, 1000]) as u(o)`;

        const result = await countFailures(services(tx), { since });
        expect(result).toEqual({ id: expect.any(String), since, kind: null, count: 4, asOf });
        expect((await countFailures(services(tx), { since, kind: 'TRAFFIC' })).count).toBe(2);
        expect((await countFailures(services(tx), { since, kind: 'EMAIL' })).count).toBe(2);
        expect((await countFailures(services(tx), { since, kind: 'FILE' })).count).toBe(0);

        const oldest = await oldestFailureInWindow(services(tx), { since });
        expect(oldest.oldest).toEqual(new Date(asOf.getTime() - seconds * 1000));
        expect(oldest.leavesAt).toEqual(new Date(asOf.getTime() + 1));
        expect((await oldestFailureInWindow(services(tx), { since, kind: 'EMAIL' })).oldest!.getTime()).toBe(asOf.getTime() - seconds * 1000);
      });
    });
  }

  it('finds no oldest failure in an empty window', async () => {
    await rolledBack(t.sql, async (tx) => {
      await fail(tx, 'FILE', '2001-01-01T00:00:00Z');
      await fail(tx, 'FILE', new Date().toISOString(), true);
      expect(await oldestFailureInWindow(services(tx), { since: '7d' })).toMatchObject({ oldest: null, leavesAt: null });
    });
  });
});

describe('bucket edges', () => {
  // Around a fixed hour: every minute and hour edge, 1 µs either side, and mid-minute instants.
  const H = Date.parse('2030-06-15T10:00:00Z');
  const iso = (ms: number, micros = 0) => {
    const base = new Date(ms + Math.floor(micros / 1000)).toISOString().replace('Z', '');
    return `${base}${String(((micros % 1000) + 1000) % 1000).padStart(3, '0')}+00`;
  };
  const edges: string[] = [];
  for (const ms of [H - 3_600_000, H - 60_000, H, H + 60_000, H + 120_000, H + 3_540_000, H + 3_600_000, H + 3_660_000, H + 7_200_000, H + 90_000_000]) {
    edges.push(iso(ms - 1, 999), iso(ms), iso(ms, 1), iso(ms + 30_000));
  }

  it('counts exactly over every window between any two edges, for every kind filter', async () => {
    await rolledBack(t.sql, async (tx) => {
      for (const [i, at] of edges.entries()) {
        await fail(tx, KINDS[i % 3]!, at);
        await fail(tx, KINDS[(i + 1) % 3]!, at, true);
      }
      // Windows: every pair of edges (about 800), so rows sit exactly at lo, at hi, and 1 µs beyond either.
      for (const kinds of [null, ['TRAFFIC'], ['FILE'], ['EMAIL'], ['TRAFFIC', 'EMAIL']]) {
        expect(await mismatches(tx, edges, kinds)).toEqual([]);
      }
      const [whole] = await tx<{ n: number }[]>`
        select orchestrator_failure_count(${iso(H - 3_600_000)}::text::timestamptz, ${iso(H + 3_600_000)}::text::timestamptz, null)::int as n`;
      // Six edges from H − 1h to H + 59m with 4 failures each, less the one 1 µs before H − 1h,
      // plus the two at H + 1h and 1 µs before it.
      expect(whole!.n).toBe(4 * 6 - 1 + 2);
    });
  });

  it('uses UTC buckets whatever the session time zone', async () => {
    for (const zone of ['Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham']) {
      await rolledBack(t.sql, async (tx) => {
        await tx.unsafe(`set local time zone '${zone}'`);
        for (const [i, at] of edges.entries()) await fail(tx, KINDS[i % 3]!, at);
        const [slots] = await tx<{ odd: number }[]>`
          select count(*)::int as odd from orchestrator_failure_hours where extract(minute from hour at time zone 'UTC') <> 0`;
        expect(slots!.odd).toBe(0);
        expect(await mismatches(tx, edges, null)).toEqual([]);
      });
    }
  });

  it('follows updates of success, occurred_at and kind, deletes and truncates, written by direct SQL', async () => {
    await rolledBack(t.sql, async (tx) => {
      for (const [i, at] of edges.entries()) {
        await fail(tx, KINDS[i % 3]!, at, i % 2 === 0);
      }
      await tx`update orchestrator_events set success = not success where id % 3 = 0`;
      await tx`update orchestrator_emails set success = not success`;
      await tx`update orchestrator_events set occurred_at = occurred_at + interval '59 minutes 59.999999 seconds' where id % 4 = 1`;
      await tx`update orchestrator_emails set occurred_at = occurred_at - interval '1 minute' where id % 2 = 0`;
      await tx`update orchestrator_events set kind = case kind when 'FILE' then 'TRAFFIC' else 'FILE' end where id % 5 = 2`;
      await tx`update orchestrator_events set detail = 'touched'`; // changes nothing a count sees
      for (const kinds of [null, ['FILE'], ['EMAIL']]) expect(await mismatches(tx, edges, kinds)).toEqual([]);

      await tx`delete from orchestrator_events where id % 2 = 0`;
      await tx`delete from orchestrator_emails where id % 3 = 0`;
      for (const kinds of [null, ['TRAFFIC'], ['EMAIL']]) expect(await mismatches(tx, edges, kinds)).toEqual([]);

      await tx`truncate orchestrator_emails`;
      expect(await mismatches(tx, edges, null)).toEqual([]);
      const [left] = await tx<{ n: number }[]>`select count(*)::int as n from orchestrator_failure_minutes where kind = 'EMAIL'`;
      expect(left!.n).toBe(0);
    });
  });
});

describe('concurrent writers', () => {
  it('spread their bucket writes over slots and still count exactly', async () => {
    const at = new Date(Date.now() - 30 * 60_000).toISOString();
    const before = (await countFailures(services(t.sql), { since: '1h' })).count;
    // 40 single-row writers on the pool's connections, each in its own transaction.
    await Promise.all(Array.from({ length: 40 }, (_, i) => fail(t.sql, KINDS[i % 3]!, at)));
    const [slots] = await t.sql<{ n: number }[]>`
      select count(distinct slot)::int as n from orchestrator_failure_minutes where minute = date_trunc('minute', ${at}::timestamptz, 'UTC')`;
    expect(slots!.n).toBeGreaterThan(1);
    expect((await countFailures(services(t.sql), { since: '1h' })).count).toBe(before + 40);
  });
});

describe('random windows', () => {
  /** mulberry32: a small seeded generator, so a failing run can be replayed with FAILURES_SEED. */
  function random(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('agree with a brute-force count(*) after random writes, updates and deletes', async () => {
    const seed = Number(process.env.FAILURES_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = random(seed);
    const START = Date.parse('2025-03-01T00:00:00Z');
    const SPAN_US = 8 * 86_400 * 1e6;
    // Offsets in µs from START: uniform, or snapped to a minute or hour edge, 1 µs either side.
    const offset = () => {
      const at = Math.floor(rand() * SPAN_US);
      const r = rand();
      if (r < 0.6) return at;
      const unit = r < 0.8 ? 60e6 : 3600e6;
      return Math.floor(at / unit) * unit + [-1, 0, 1][Math.floor(rand() * 3)]!;
    };
    await rolledBack(t.sql, async (tx) => {
      for (let batch = 0; batch < 40; batch++) {
        const n = batch % 4 === 0 ? 1 : Math.floor(rand() * 200);
        const rows = Array.from({ length: n }, () => ({ kind: KINDS[Math.floor(rand() * 3)]!, success: rand() < 0.6, at: offset() }));
        const events = rows.filter((row) => row.kind !== 'EMAIL');
        const emails = rows.filter((row) => row.kind === 'EMAIL');
        await tx`
          insert into orchestrator_events (kind, success, occurred_at)
          select k, s, ${new Date(START)}::timestamptz + o * interval '1 microsecond'
          from unnest(${list(events.map((r) => r.kind))}::text[], ${list(events.map((r) => r.success))}::bool[], ${list(events.map((r) => r.at))}::bigint[]) as u(k, s, o)`;
        await tx`
          insert into orchestrator_emails (success, occurred_at)
          select s, ${new Date(START)}::timestamptz + o * interval '1 microsecond'
          from unnest(${list(emails.map((r) => r.success))}::bool[], ${list(emails.map((r) => r.at))}::bigint[]) as u(s, o)`;
        if (batch % 5 === 4) {
          const mod = 2 + Math.floor(rand() * 7);
          const shift = Math.floor((rand() - 0.5) * 7200e6);
          await tx`update orchestrator_events set success = not success where id % ${mod} = 0`;
          await tx`update orchestrator_emails set occurred_at = occurred_at + ${shift} * interval '1 microsecond' where id % ${mod} = 1`;
          await tx`update orchestrator_events set kind = 'FILE', occurred_at = occurred_at - ${shift} * interval '1 microsecond' where id % ${mod + 1} = 1`;
          await tx`delete from orchestrator_emails where id % ${mod + 2} = 0`;
        }
      }
      const windows = Array.from({ length: 400 }, () => {
        const hi = offset();
        const length = [() => Math.floor(rand() * MAX_WINDOW_SECONDS * 1e6), () => Math.floor(rand() * 7200e6), () => Math.floor(rand() * 120e6)][
          Math.floor(rand() * 3)
        ]!();
        const kinds = [null, ['TRAFFIC'], ['FILE'], ['EMAIL'], ['FILE', 'EMAIL']][Math.floor(rand() * 5)]!;
        return { lo: hi - length, hi, kinds: kinds === null ? '' : kinds.join(',') };
      });
      const wrong = await tx`
        select lo, hi, kinds, buckets, brute from (
          select w.lo, w.hi, w.kinds,
            orchestrator_failure_count(s + w.lo * interval '1 microsecond', s + w.hi * interval '1 microsecond', k) as buckets,
            (select count(*) from orchestrator_events where not success
               and occurred_at between s + w.lo * interval '1 microsecond' and s + w.hi * interval '1 microsecond'
               and (k is null or kind = any(k)))
            + (select count(*) from orchestrator_emails where not success
               and occurred_at between s + w.lo * interval '1 microsecond' and s + w.hi * interval '1 microsecond'
               and (k is null or 'EMAIL' = any(k))) as brute
          from unnest(${list(windows.map((w) => w.lo))}::bigint[], ${list(windows.map((w) => w.hi))}::bigint[], ${list(windows.map((w) => w.kinds))}::text[]) as w(lo, hi, kinds),
            lateral (select ${new Date(START)}::timestamptz as s, nullif(string_to_array(w.kinds, ','), '{}') as k) args
        ) compared where buckets <> brute`;
      expect(wrong, `seed ${seed}`).toEqual([]);
      const [{ n }] = (await tx`select count(*)::int as n from orchestrator_events where not success`) as unknown as [{ n: number }];
      expect(n, 'the data must hold failures to count').toBeGreaterThan(500);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { decodeValue, encodeValue, type Announcement, type LiveBus, type Publication } from '../src/live/bus.js';
import { PgBus, splitAnnouncement } from '../src/live/pg-bus.js';
import { RedisBus } from '../src/live/redis-bus.js';
import { createTestDatabase, until } from './helpers.js';
import { redisAvailable, TEST_REDIS_URL } from './redis.js';

// The two buses of the live badges' cluster (src/live/bus.ts) behind one
// interface, on a real PostgreSQL and a real Redis: values of any size
// arrive, the newer version is the one kept, announcements go round.

const log = createLogger('silent');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const withRedis = await redisAvailable('test/live-leader-bus');
const BUSES: { kind: string; make: () => LiveBus }[] = [
  { kind: 'postgres', make: () => new PgBus(db.url, log) },
  ...(withRedis ? [{ kind: 'redis', make: () => new RedisBus(TEST_REDIS_URL, `opsgraph-test:${db.url.split('/').pop()}`, log) }] : []),
];

describe.each(BUSES)('the $kind bus', ({ make }) => {
  let leader: LiveBus;
  let follower: LiveBus;
  const received: Publication[] = [];
  const heard: Announcement[] = [];
  beforeAll(async () => {
    leader = make();
    follower = make();
    await leader.start({ values: () => {}, announcement: () => {}, reconnected: () => {} });
    await follower.start({ values: (p) => received.push(...p), announcement: (m) => heard.push(m), reconnected: () => {} });
  });
  afterAll(async () => {
    await leader?.close();
    await follower?.close();
  });

  it('delivers a small value and one far larger than NOTIFY’s 8000-byte payload, Dates kept', async () => {
    const big = { jobs: Array.from({ length: 1000 }, (_, i) => ({ id: `job-${i}`, running: i % 7, pending: i % 3 })), asOf: new Date('2026-12-07T01:02:03.004Z') };
    const small = { count: 3, asOf: new Date('2026-12-07T00:00:00.000Z') };
    expect(encodeValue(big).length).toBeGreaterThan(20_000);
    await leader.publish([
      { key: 'small', term: 1, seq: 1, value: encodeValue(small) },
      { key: 'big', term: 1, seq: 2, value: encodeValue(big) },
    ]);
    await until(() => received.some((p) => p.key === 'big') && received.some((p) => p.key === 'small'));
    expect(decodeValue(received.find((p) => p.key === 'big')!.value)).toEqual(big);
    expect(decodeValue(received.find((p) => p.key === 'small')!.value)).toEqual(small);
    expect(received.find((p) => p.key === 'big')).toMatchObject({ term: 1, seq: 2 });
  });

  it('keeps the newer version: a deposed leader’s late value is neither stored nor sent', async () => {
    await leader.publish([{ key: 'versioned', term: 5, seq: 1, value: '"new"' }]);
    await until(() => received.some((p) => p.key === 'versioned'));
    await leader.publish([{ key: 'versioned', term: 4, seq: 99, value: '"old"' }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((p) => p.key === 'versioned').map((p) => p.value)).toEqual(['"new"']);
    expect(await follower.read(['versioned', 'missing'])).toEqual([{ key: 'versioned', term: 5, seq: 1, value: '"new"' }]);
  });

  it('carries announcements, however many groups', async () => {
    const groups = Array.from({ length: 400 }, (_, i) => ({ key: `failureCount:${i}m:`, descriptor: { badge: 'failureCount', args: { since: `${i}m`, kind: null } } }));
    await leader.announce({ instance: 'a', op: 'full', groups });
    await until(() => new Set(heard.flatMap((m) => ('groups' in m ? m.groups.map((g) => g.key) : []))).size === 400);
  });
});

describe('splitAnnouncement', () => {
  it('splits a long list into messages that fit, each an add', () => {
    const groups = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, descriptor: { badge: 'x', args: { i } } }));
    const parts = splitAnnouncement({ instance: 'a', op: 'full', groups }, 1000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(1000);
    const parsed = parts.map((p) => JSON.parse(p));
    expect(parsed.every((p) => p.op === 'add')).toBe(true);
    expect(parsed.flatMap((p) => p.groups.map((g: { key: string }) => g.key))).toEqual(groups.map((g) => g.key));
  });
});

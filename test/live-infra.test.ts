import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import pino from 'pino';
import { startPgbouncer } from '../scripts/fleet/pgbouncer.js';
import { findTool } from '../scripts/fleet/tools.js';
import { LiveQueries, type LiveSpec } from '../src/live/live-queries.js';
import { listenReconnects, registry } from '../src/metrics.js';
import { PgEventTarget } from '../src/live/pg-event-target.js';
import { PROBES } from '../src/live/probes.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase, until } from './helpers.js';

const log = createLogger('silent');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: postgres.Sql;
let events: PgEventTarget;
let live: LiveQueries;
let computes = 0;

const total = (): LiveSpec<number> => ({
  badge: 'total',
  key: 'total',
  topics: ['executions'],
  compute: async () => {
    computes++;
    const [row] = await sql<{ n: number }[]>`select coalesce(sum(target_count), 0)::int as n from executions`;
    return row!.n;
  },
});

/** Collects what an async iterable yields, for assertions. */
function collect<T>(iterable: AsyncIterable<T>) {
  const values: T[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) values.push(next.value);
  })();
  return { values, stop: () => iterator.return?.() };
}


beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 3, onnotice: () => {} });
  events = new PgEventTarget({ url: db.url, log, heartbeatMs: 200, heartbeatTimeoutMs: 500 });
  live = new LiveQueries(events, 50, log);
});

afterAll(async () => {
  await events.close();
  await sql.end();
  await db.drop();
});

describe('live queries over LISTEN/NOTIFY', () => {
  it('emits the current value, then each change made by plain SQL, never the same value twice', async () => {
    const a = collect(live.subscribe(total()));
    await until(() => a.values.length === 1);
    expect(a.values).toEqual([0]);
    await sql`insert into executions (job_id, version, initiated_by, target_count) values ('lunch', '1', 'test', 5)`;
    await until(() => a.values.length === 2);
    await sql`update executions set target_count = target_count where job_id = 'lunch'`; // fires, changes nothing
    await sql`update executions set target_count = 7 where job_id = 'lunch'`;
    await until(() => a.values.length === 3);
    expect(a.values).toEqual([0, 5, 7]);
    await a.stop();
  });

  it('shares one computation among all subscribers with the same key, and coalesces bursts', async () => {
    const subscribers = Array.from({ length: 200 }, () => collect(live.subscribe(total())));
    await until(() => subscribers.every((s) => s.values.length === 1));
    expect(live.size()).toBe(1);
    computes = 0;
    const started = Date.now();
    for (let i = 0; i < 30; i++) await sql`update executions set target_count = target_count + 1 where job_id = 'lunch'`;
    await until(() => subscribers.every((s) => s.values.at(-1) === 37));
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 200));
    // 30 commits in a burst, 200 subscribers: at most one computation per 50 ms interval
    // (plus the one that starts at once and the last), never one per commit per subscriber.
    expect(computes).toBeLessThanOrEqual(Math.floor(elapsed / 50) + 2);
    for (const s of subscribers) await s.stop();
    await until(() => live.size() === 0);
  });

  it('re-reads after the LISTEN connection is killed, delivering a change made during the outage', async () => {
    const a = collect(live.subscribe(total()));
    await until(() => a.values.length === 1);
    const before = a.values[0]!;
    const reconnectsBefore = await reconnects();
    // LISTEN starts with the first subscriber: wait until it is in place, so that the kill interrupts it.
    await events.listening('executions');
    // The first LISTEN asks for one re-read of its own (a change may have slipped in before it took
    // effect); let that pass, so that only the reconnect can carry the change made below.
    await new Promise((r) => setTimeout(r, 200));
    let killed = 0;
    while (killed === 0) {
      const rows = await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'opsgraph-listener' and datname = current_database()`;
      killed = rows.length;
      if (killed === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await sql`update executions set target_count = target_count + 100 where job_id = 'lunch'`;
    await until(() => a.values.at(-1) === before + 100, 10_000);
    expect(await reconnects()).toBeGreaterThan(reconnectsBefore);
    await a.stop();
  });

  it('watches a probed topic by polling a digest, with no NOTIFY at all', async () => {
    const probed = new PgEventTarget({ url: db.url, log, heartbeatMs: 10_000, heartbeatTimeoutMs: 5_000, probes: PROBES, probeMs: 30 });
    const probedLive = new LiveQueries(probed, 20, log);
    try {
      const a = collect(
        probedLive.subscribe({
          badge: 'scans',
          key: 'scans',
          topics: ['scans'] as const,
          compute: async () => (await sql<{ n: number }[]>`select coalesce(sum(count), 0)::int as n from scan_counters`)[0]!.n,
        }),
      );
      await until(() => a.values.length === 1);
      await sql`insert into scan_counters (scan_type, slot, count) values ('lunch', 0, 4)`;
      await until(() => a.values.length === 2);
      await sql`update scan_counters set count = 9 where scan_type = 'lunch'`;
      await until(() => a.values.length === 3);
      expect(a.values).toEqual([0, 4, 9]);
      await a.stop();
    } finally {
      await probed.close();
    }
  });

  it('shows a pass whose statement gets no answer in opsgraph_live_pass_running_seconds, and 0 once it ends', async () => {
    const running = async () => {
      const metric = (await registry.getSingleMetric('opsgraph_live_pass_running_seconds')!.get()).values[0]!;
      return metric.value;
    };
    // The statement waits on a lock held by another session: the stuck statement the gauge exists for.
    const holder = await sql.reserve();
    await holder`begin`;
    await holder`lock table scan_counters in access exclusive mode`;
    const stuck = new LiveQueries(events, 20, log);
    const a = collect(
      stuck.subscribe({
        badge: 'stuck',
        key: 'stuck',
        topics: ['scans'] as const,
        compute: async () => (await sql<{ n: number }[]>`select count(*)::int as n from scan_counters`)[0]!.n,
      }),
    );
    try {
      await until(async () => (await running()) > 0.5);
      expect(a.values).toEqual([]);
    } finally {
      await holder`rollback`;
      holder.release();
    }
    await until(() => a.values.length === 1);
    expect(await running()).toBe(0);
    await a.stop();
  });

  it('notices a LISTEN connection that went silent, through its heartbeat, and listens again', async () => {
    // A TCP proxy that can freeze: bytes stop flowing, nothing is closed, no error is raised.
    const target = new URL(db.url);
    const frozen = new Set<net.Socket>();
    const sockets: net.Socket[] = [];
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port), target.hostname);
      sockets.push(client, server);
      client.on('data', (chunk) => frozen.has(client) || server.write(chunk));
      server.on('data', (chunk) => frozen.has(server) || client.write(chunk));
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(db.url);
    viaProxy.port = String((proxy.address() as net.AddressInfo).port);
    const silentEvents = new PgEventTarget({ url: viaProxy.toString(), log, heartbeatMs: 200, heartbeatTimeoutMs: 300 });
    const silentLive = new LiveQueries(silentEvents, 20, log);
    try {
      const a = collect(silentLive.subscribe(total()));
      await until(() => a.values.length === 1);
      await new Promise((r) => setTimeout(r, 500)); // LISTEN is in place and a heartbeat went round
      const before = a.values[0]!;
      const reconnectsBefore = await reconnects();
      // The connections in place go silent; new ones will flow.
      const frozenSockets = sockets.splice(0);
      for (const socket of frozenSockets) frozen.add(socket);
      await sql`update executions set target_count = target_count + 1000 where job_id = 'lunch'`;
      await until(() => a.values.at(-1) === before + 1000, 5000);
      expect(await reconnects()).toBeGreaterThan(reconnectsBefore);
      await a.stop();
      for (const socket of frozenSockets) socket.destroy();
    } finally {
      await silentEvents.close().catch(() => {});
      proxy.close();
      for (const socket of sockets) socket.destroy();
    }
  });
});

// Debian's pgbouncer: CI installs it; elsewhere this is skipped (vitest.config.ts says so once).
const noPgbouncer = !process.env.CI && (await findTool('pgbouncer').then(() => false, () => true));

describe.skipIf(noPgbouncer)('LISTEN through a transaction pooler', () => {
  it('is noticed by the heartbeat: the database answers, no NOTIFY arrives, and one error says why', async () => {
    const pooler = await startPgbouncer(db.url, { mode: 'transaction' });
    const lines: { level: number; msg: string }[] = [];
    const captured = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const deaf = new PgEventTarget({ url: pooler.url(db.url), log: captured, heartbeatMs: 200, heartbeatTimeoutMs: 300 });
    try {
      const errors = () => lines.filter((line) => line.level === 50);
      await until(() => errors().length > 0, 10_000);
      // Said once, while the heartbeat keeps replacing the deaf connection.
      await new Promise((r) => setTimeout(r, 1500));
      expect(errors().map((line) => line.msg)).toEqual([expect.stringMatching(/^NOTIFYs never reach the LISTEN connection .*DATABASE_DIRECT_URL/)]);
      expect(lines.filter((line) => line.msg.includes('missed its heartbeat')).length).toBeGreaterThanOrEqual(3);
    } finally {
      await deaf.close().catch(() => {});
      await pooler.stop();
    }
  });
});

async function reconnects(): Promise<number> {
  return (await listenReconnects.get()).values[0]?.value ?? 0;
}

// Several workers on one database: exactly-once outcomes under contention,
// a worker killed mid-delivery, claims that expire, and a clean shutdown.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Loop } from '../src/loop.js';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createSql } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import type { Channel } from '../src/notifications/channels/channel.js';
import { staleSocketRetries } from '../src/notifications/metrics.js';
import { NotificationWorker } from '../src/notifications/worker.js';
import { useTestApp } from './helpers.js';
import { eventually, startReceiver, type Receiver } from './notifications-receiver.js';

const t = useTestApp(); // the worker of this server stays off: the tests run their own

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeEach(async () => {
  await t.sql`truncate notifications`;
});

/** A worker with its own pool, as another server instance would have. */
function worker(env: Record<string, string>, id: string): NotificationWorker {
  // The receivers listen on loopback, which webhooks may reach only when allowed.
  const config = loadConfig({ DATABASE_URL: t.databaseUrl, WEBHOOK_ALLOW_HOSTS: '127.0.0.1', ...env });
  const services: Services = { sql: createSql(t.databaseUrl, 4), config, log: createLogger('silent') };
  cleanups.push(() => services.sql.end());
  return new NotificationWorker(services, { id });
}

function run(w: NotificationWorker): Loop {
  const loop = w.start();
  cleanups.push(() => loop.stop());
  return loop;
}

async function receiver(respond: Receiver['respond']) {
  const started = await startReceiver(respond);
  cleanups.push(() => started.close());
  return started;
}

async function insert(count: number, recipient: string): Promise<string[]> {
  const rows = await t.sql<{ id: string }[]>`
    insert into notifications (channel, recipient, subject, body)
    select 'WEBHOOK', ${recipient}, 'alert ' || g, 'body ' || g from generate_series(1, ${count}) g
    returning id::text`;
  return rows.map((r) => r.id);
}

/** mulberry32: a flaky receiver that fails the same way on every run. */
function seeded(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two workers on one database', () => {
  it('deliver 500 notifications through a flaky receiver: each ends SENT or DEAD, none twice, none lost', async () => {
    const random = seeded(5);
    // A request the receiver read and then dropped without answering, on a reused keep-alive
    // connection, looks to the worker like a connection the receiver closed while idle: it is sent
    // again at once on a fresh connection, uncounted (issue 26). The receiver may then see one more.
    const dropped = new Map<string, number>();
    const resentBefore = (await staleSocketRetries.get()).values[0]?.value ?? 0;
    const hook = await receiver(async (delivery) => {
      const roll = random();
      if (roll < 0.3) return 500;
      if (roll < 0.4) {
        dropped.set(delivery.id, (dropped.get(delivery.id) ?? 0) + 1);
        return 'drop';
      }
      if (roll < 0.5) await sleep(30);
      return 200;
    });
    const env = {
      NOTIFICATION_MAX_ATTEMPTS: '3',
      NOTIFICATION_BACKOFF_UNIT: '10ms',
      NOTIFICATION_BACKOFF_CAP: '40ms',
      NOTIFICATION_RETRY_INTERVAL: '20ms',
    };
    const workers = [worker(env, 'worker-a'), worker(env, 'worker-b')];
    const claimed = new Map<string, number>();
    // Every attempt as the workers saw it: 'ok', or the error that becomes lastError.
    const tried = new Map<string, string[]>();
    let calls = 0;
    for (const w of workers) {
      const channels = (w as unknown as { channels: Map<string, Channel> }).channels;
      const webhook = channels.get('WEBHOOK')!;
      channels.set('WEBHOOK', async (row) => {
        // An attempt can fail before the request reaches the receiver: a keep-alive socket the
        // receiver closed just as it was reused (ECONNRESET), a connect or response timeout. The
        // worker counts it, as it must (an unreachable webhook has to end DEAD); under heavy load
        // the suite saw one. Played here on every 37th attempt, so the test always covers it.
        const unreached = ++calls % 37 === 0;
        const outcome = unreached ? Promise.reject(new Error('delivery failed: connection failed')) : webhook(row);
        const record = (what: string) => tried.set(row.id, [...(tried.get(row.id) ?? []), what]);
        await outcome.then(() => record('ok'), (error: Error) => (record(error.message), Promise.reject(error)));
      });
    }
    for (const w of workers) {
      const drain = w.drain.bind(w);
      w.drain = async (...args) => {
        const n = await drain(...args);
        claimed.set(w.id, (claimed.get(w.id) ?? 0) + n);
        return n;
      };
      run(w);
    }
    const ids = await insert(500, hook.url);

    await eventually(async () => {
      const { open } = (await t.sql<{ open: number }[]>`select count(*)::int as open from notifications where status in ('PENDING', 'FAILED')`)[0]!;
      return open === 0;
    }, 30_000, 'every notification to be SENT or DEAD');

    const rows = await t.sql<{ id: string; status: string; retry_count: number; claimed_by: string | null }[]>`
      select n.id::text, status, retry_count, claimed_by from notifications n order by n.id`;
    expect(rows.map((r) => r.id)).toEqual(ids);
    const sent = rows.filter((r) => r.status === 'SENT');
    const dead = rows.filter((r) => r.status === 'DEAD');
    expect(sent.length + dead.length).toBe(500);
    expect(dead.length).toBeGreaterThan(0); // the receiver was flaky enough to exhaust some

    // No id succeeded twice, and the receiver's successes are exactly the SENT rows.
    expect(new Set(hook.succeeded).size).toBe(hook.succeeded.length);
    expect(new Set(hook.succeeded)).toEqual(new Set(sent.map((r) => r.id)));
    // The table counts every attempt a worker made, no more, no fewer. The receiver saw each of
    // them, except attempts that failed before an HTTP answer (a reset or timed-out connection may
    // never have reached it); never one the workers did not make, nor an answered one it missed,
    // but for a dropped request on a reused connection, sent again at once under the same attempt.
    const resent = ((await staleSocketRetries.get()).values[0]?.value ?? 0) - resentBefore;
    let unseen = 0;
    for (const row of rows) {
      const seen = hook.attemptsOf(row.id).length;
      const made = tried.get(row.id) ?? [];
      const what = `attempts of ${row.id} (${row.status}; the workers saw ${JSON.stringify(made)}; the receiver ${seen})`;
      expect(made.length, what).toBe(row.retry_count + (row.status === 'SENT' ? 1 : 0));
      expect(made.filter((outcome) => outcome !== 'ok').length, what).toBe(row.retry_count);
      const unanswered = made.filter((outcome) => outcome !== 'ok' && !/HTTP \d+$/.test(outcome)).length;
      expect(seen, what).toBeLessThanOrEqual(made.length + (dropped.get(row.id) ?? 0));
      expect(seen, what).toBeGreaterThanOrEqual(made.length - unanswered);
      unseen += made.length - seen;
      if (row.status === 'DEAD') expect(row.retry_count).toBe(3);
      expect(row.claimed_by).toBeNull();
    }
    expect(unseen + resent, 'the attempts played as never reaching the receiver, at least').toBeGreaterThanOrEqual(Math.floor(calls / 37));
    // Both did their share.
    expect(claimed.get('worker-a')).toBeGreaterThan(25);
    expect(claimed.get('worker-b')).toBeGreaterThan(25);
  }, 60_000);

  it('a late outcome from a worker whose claim expired does not overwrite the outcome of the worker that took over', async () => {
    const hook = await receiver(async (delivery) => {
      if (delivery.attempt === 1) {
        await sleep(700);
        return 500;
      }
      return 200;
    });
    const [id] = await insert(1, hook.url);
    const slow = worker({ NOTIFICATION_CLAIM_TTL: '200ms' }, 'slow');
    const slowDrain = slow.drain('pending');
    await eventually(async () => hook.deliveries.length === 1);
    run(worker({ NOTIFICATION_RETRY_INTERVAL: '50ms' }, 'fast'));
    await eventually(async () => hook.succeeded.length === 1, 5_000, 'the second worker to deliver');
    await slowDrain; // its attempt failed, after the other worker had sent
    const [row] = await t.sql`select status, retry_count, last_error, claimed_by from notifications where id = ${id!}`;
    expect(row).toEqual({ status: 'SENT', retry_count: 0, last_error: null, claimed_by: null });
  });
});

describe('one worker', () => {
  it('delivers every claimable row in one sweep, past the 1 000 rows a sweep used to stop at', async () => {
    await t.sql`
      insert into notifications (channel, recipient, subject, body)
      select 'LOG', 'on-call', 'alert ' || g, 'b' from generate_series(1, 1100) g`;
    const w = worker({}, 'busy');
    const drains: { queue: string; claimed: number }[] = [];
    const drain = w.drain.bind(w);
    w.drain = async (queue, signal, max) => {
      const claimed = await drain(queue, signal, max);
      drains.push({ queue, claimed });
      return claimed;
    };
    run(w);
    await eventually(async () => drains.length >= 1, 20_000);
    expect(drains[0]).toEqual({ queue: 'both', claimed: 1100 });
    const { sent } = (await t.sql<{ sent: number }[]>`select count(*)::int as sent from notifications where status = 'SENT'`)[0]!;
    expect(sent).toBe(1100);
  });
});

describe('a worker that dies', () => {
  it('killed with SIGKILL mid-delivery leaves a claim; once it expires another worker delivers the notification', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hook = await receiver(async (delivery) => {
      if (delivery.attempt === 1) await held; // the doomed worker waits here until it is killed
      return 200;
    });
    const [id] = await insert(1, hook.url);

    const module = (path: string) => new URL(path, import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        const { loadConfig } = await import(${JSON.stringify(module('../src/config.ts'))});
        const { createSql } = await import(${JSON.stringify(module('../src/db/client.ts'))});
        const { createLogger } = await import(${JSON.stringify(module('../src/logger.ts'))});
        const { NotificationWorker } = await import(${JSON.stringify(module('../src/notifications/worker.ts'))});
        const config = loadConfig(process.env);
        const services = { sql: createSql(config.databaseUrl, 2), config, log: createLogger('silent') };
        await new NotificationWorker(services, { id: 'doomed' }).drain('pending');
        `,
      ],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, DATABASE_URL: t.databaseUrl, NOTIFICATION_CLAIM_TTL: '1s', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      release();
    });

    await eventually(async () => hook.deliveries.length === 1, 15_000, `the child to deliver (stderr: ${stderr})`);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const [claim] = await t.sql<{ status: string; claimed_by: string; claimed_until: Date }[]>`
      select status, claimed_by, claimed_until from notifications where id = ${id!}`;
    expect(claim).toMatchObject({ status: 'PENDING', claimed_by: 'doomed' });

    run(worker({ NOTIFICATION_RETRY_INTERVAL: '50ms' }, 'survivor'));
    await eventually(async () => {
      const [row] = await t.sql`select status from notifications where id = ${id!}`;
      return row!.status === 'SENT';
    }, 10_000, 'the survivor to deliver');
    const second = hook.attemptsOf(id!)[1]!;
    expect(second.at).toBeGreaterThanOrEqual(claim!.claimed_until.getTime() - 5); // not before the claim expired
    expect(hook.succeeded).toEqual([id]);
    const [row] = await t.sql`select retry_count, claimed_by from notifications where id = ${id!}`;
    expect(row).toEqual({ retry_count: 0, claimed_by: null });
  }, 30_000);
});

describe('shutdown', () => {
  it('stop() finishes the delivery in flight, records it, and claims nothing more', async () => {
    const hook = await receiver(async () => {
      await sleep(300);
      return 200;
    });
    const [first] = await insert(1, hook.url);
    const loop = run(worker({}, 'stopping'));
    await eventually(async () => hook.deliveries.length === 1);
    await loop.stop();
    const [row] = await t.sql`select status, claimed_by from notifications where id = ${first!}`;
    expect(row).toEqual({ status: 'SENT', claimed_by: null });

    const [later] = await insert(1, hook.url);
    await sleep(1_200); // longer than the PENDING poll
    const [untouched] = await t.sql`select status, claimed_by from notifications where id = ${later!}`;
    expect(untouched).toEqual({ status: 'PENDING', claimed_by: null });
  });
});

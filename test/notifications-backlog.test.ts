// A backlog of due retries (a webhook receiver back after an outage) drains in
// one sweep at the rate deliveries complete, not 1 000 rows per
// NOTIFICATION_RETRY_INTERVAL, and new notifications still go out promptly
// while it does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createSql } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { NotificationWorker } from '../src/notifications/worker.js';
import { useTestApp } from './helpers.js';
import { eventually, startReceiver } from './notifications-receiver.js';

const t = useTestApp(); // the worker of this server stays off: the test runs its own

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeEach(async () => {
  await t.sql`truncate notifications`;
});

const BACKLOG = 3_000;

async function open(): Promise<number> {
  const [row] = await t.sql<{ n: number }[]>`select count(*)::int as n from notifications where status = 'FAILED'`;
  return row!.n;
}

describe('a backlog of due retries', () => {
  it('drains completely on the first sweep with the default 2m retry interval, and a new notification is sent meanwhile', async () => {
    const hook = await startReceiver(() => 204);
    cleanups.push(() => hook.close());
    await t.sql`
      insert into notifications (channel, recipient, subject, body, status, retry_count, next_retry_at, last_error)
      select 'WEBHOOK', ${hook.url}, 'alert ' || g, 'b', 'FAILED', 2, now() - interval '1 minute', 'connect ECONNREFUSED'
      from generate_series(1, ${BACKLOG}) g`;
    const config = loadConfig({ DATABASE_URL: t.databaseUrl }); // NOTIFICATION_RETRY_INTERVAL: 2m
    expect(config.notifications.retryIntervalMs).toBe(120_000);
    const services: Services = { sql: createSql(t.databaseUrl, 4), config, log: createLogger('silent') };
    cleanups.push(() => services.sql.end());
    const loop = new NotificationWorker(services, { id: 'backlog' }).start();
    cleanups.push(() => loop.stop());

    // Once the drain is under way, a new notification arrives (from another instance: found by the 1 s poll).
    await eventually(async () => (await open()) < BACKLOG - 200, 20_000, 'the drain to start');
    const [fresh] = await t.sql<{ id: string }[]>`
      insert into notifications (channel, recipient, subject, body) values ('WEBHOOK', ${hook.url}, 'new', 'b') returning id::text`;
    await eventually(async () => hook.succeeded.includes(fresh!.id), 10_000, 'the new notification to be sent');
    const leftWhenFreshWasSent = await open();

    await eventually(async () => (await open()) === 0, 60_000, 'every due retry to be delivered');
    const [row] = await t.sql<{ sent: number }[]>`select count(*)::int as sent from notifications where status = 'SENT'`;
    expect(row!.sent).toBe(BACKLOG + 1);
    expect(new Set(hook.succeeded).size).toBe(BACKLOG + 1);
    // The new one did not wait for the backlog (nor for the retry interval).
    expect(leftWhenFreshWasSent).toBeGreaterThan(0);
  }, 90_000);
});

// The delivery worker inside a real server, against a real webhook receiver,
// with short backoff units so the whole lifecycle takes about two seconds.
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../src/metrics.js';
import { useTestApp } from './helpers.js';
import { eventually, startReceiver, type Receiver } from './notifications-receiver.js';

const UNIT_MS = 100;
const CAP_MS = 500;
const t = useTestApp({
  NOTIFICATION_WORKER: 'on',
  NOTIFICATION_RETRY_INTERVAL: '50ms',
  NOTIFICATION_BACKOFF_UNIT: `${UNIT_MS}ms`,
  NOTIFICATION_BACKOFF_CAP: `${CAP_MS}ms`,
  NOTIFICATION_MAX_ATTEMPTS: '5',
  // Long enough for a loaded two-core machine to answer a 500 in time; the slow receiver below waits longer.
  NOTIFICATION_WEBHOOK_TIMEOUT: '1s',
});
// A second server with the default 2m retry interval: its worker polls for PENDING only every second.
const slowPoll = useTestApp({ NOTIFICATION_WORKER: 'on' });

const FIELDS = 'id: rowId status retryCount nextRetryAt lastError createdAt sentAt';
const SEND = `mutation($input: SendNotificationInput!) { sendNotification(input: $input) { ${FIELDS} } }`;
const ONE = `query($id: ID!) { notification(id: $id) { ${FIELDS} } }`;

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(respond: Receiver['respond']) {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}

async function send(app: typeof t, input: Record<string, string>): Promise<string> {
  const result = await app.gql(SEND, { input: { subject: 'disk almost full', body: 'db-1: 93%', ...input } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.sendNotification.id;
}

async function untilStatus(id: string, status: string, ms = 10_000) {
  return eventually(async () => {
    const found = (await t.gql(ONE, { id }, 'VIEWER')).data!.notification;
    return found.status === status ? found : undefined;
  }, ms, `notification ${id} to be ${status}`);
}

async function counter(channel: string, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('opsgraph_notification_deliveries_total')!.get();
  return metric.values.find((v) => v.labels.channel === channel && v.labels.outcome === outcome)?.value ?? 0;
}

const backoff = (failedAttempt: number) => Math.min(UNIT_MS * 2 ** (failedAttempt - 1), CAP_MS);

describe('the delivery lifecycle', () => {
  it('PENDING → FAILED ×4 → DEAD → requeue → SENT → READ, with nextRetryAt = failure time + min(unit × 2^(n−1), cap)', async () => {
    // At each attempt the receiver reads the row as the previous attempt left it.
    const seen: { status: string; retryCount: number; backoffMs: number | null; due: boolean | null; lastError: string | null }[] = [];
    let answer = 500;
    const hook = await receiver(async (delivery) => {
      const [row] = await t.sql<typeof seen>`
        select status, retry_count as "retryCount", last_error as "lastError",
               (extract(epoch from next_retry_at - updated_at) * 1000)::float8 as "backoffMs",
               now() >= next_retry_at as due
        from notifications where id = ${delivery.id}`;
      seen.push(row!);
      return answer;
    });
    const id = await send(t, { channel: 'WEBHOOK', recipient: hook.url });

    const dead = await untilStatus(id, 'DEAD');
    expect(dead).toMatchObject({ retryCount: 5, nextRetryAt: null, lastError: 'delivery failed: HTTP 500', sentAt: null });
    expect(seen[0]).toEqual({ status: 'PENDING', retryCount: 0, backoffMs: null, due: null, lastError: null });
    for (let n = 1; n <= 4; n++) {
      // Failed attempt n left FAILED, retryCount n, and a nextRetryAt that attempt n + 1 waited for.
      expect(seen[n]).toEqual({ status: 'FAILED', retryCount: n, backoffMs: backoff(n), due: true, lastError: 'delivery failed: HTTP 500' });
    }
    expect(backoff(4)).toBe(CAP_MS); // the cap applied: 100 × 2^3 = 800 > 500
    // Measured from the receiver's side too: attempt n + 1 came no sooner than the backoff after attempt n.
    const arrivals = hook.attemptsOf(id).map((d) => d.at);
    for (let n = 1; n <= 4; n++) expect(arrivals[n]! - arrivals[n - 1]!).toBeGreaterThanOrEqual(backoff(n) - 5);

    // DEAD is final: no further attempt however long we wait.
    await new Promise((resolve) => setTimeout(resolve, 4 * 50 + CAP_MS));
    expect(hook.attemptsOf(id)).toHaveLength(5);

    answer = 200;
    const requeuedAt = Date.now();
    const requeue = await t.gql(`mutation($id: ID!) { requeueNotification(id: $id) { ${FIELDS} } }`, { id }, 'OPERATOR');
    expect(requeue.data!.requeueNotification).toMatchObject({ status: 'PENDING', retryCount: 0, nextRetryAt: null, lastError: null });
    const sent = await untilStatus(id, 'SENT');
    expect(sent).toMatchObject({ retryCount: 0, nextRetryAt: null, lastError: null, sentAt: expect.any(String) });
    expect(seen[5]).toEqual({ status: 'PENDING', retryCount: 0, backoffMs: null, due: null, lastError: null });
    expect(hook.attemptsOf(id)[5]!.at - requeuedAt).toBeLessThan(1_000);
    expect(hook.succeeded).toEqual([id]);

    const read = await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { ${FIELDS} } }`, { id }, 'VIEWER');
    expect(read.data!.markNotificationRead).toMatchObject({ status: 'READ', retryCount: 0, sentAt: sent.sentAt });
  });

  it('keeps retryCount on success, so it says on which attempt the notification went out', async () => {
    const hook = await receiver((delivery) => (delivery.attempt <= 2 ? 503 : 204));
    const id = await send(t, { channel: 'WEBHOOK', recipient: hook.url });
    const sent = await untilStatus(id, 'SENT');
    expect(sent).toMatchObject({ retryCount: 2, nextRetryAt: null, sentAt: expect.any(String) });
    // lastError stays: it says why the earlier attempts failed.
    expect(sent.lastError).toBe('delivery failed: HTTP 503');
    expect(hook.attemptsOf(id)).toHaveLength(3);
  });

  it('treats a webhook slower than NOTIFICATION_WEBHOOK_TIMEOUT as a failed attempt', async () => {
    const hook = await receiver(async (delivery) => {
      if (delivery.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 3_000));
      return 200;
    });
    const id = await send(t, { channel: 'WEBHOOK', recipient: hook.url });
    const failed = await eventually(async () => {
      const [row] = await t.sql`select status, retry_count, last_error from notifications where id = ${id}`;
      return row!.retry_count === 1 ? row : undefined;
    });
    expect(failed).toEqual({ status: 'FAILED', retry_count: 1, last_error: 'delivery failed: timeout after 1s' });
    const sent = await untilStatus(id, 'SENT');
    expect(sent.retryCount).toBe(1);
    expect(hook.succeeded).toEqual([id]); // the late answer to attempt 1 reached nobody
  });

  it('counts a refused connection, a dropped connection, a redirect and a 404 as failures', async () => {
    const closed = await receiver(() => 200);
    const closedUrl = closed.url;
    await closed.close();
    const answers = new Map<string, 'drop' | number>();
    const hook = await receiver((delivery) => answers.get(delivery.id)!);
    const cases: [string, 'drop' | number | null, RegExp][] = [
      [closedUrl, null, /^delivery failed: connection refused$/],
      [hook.url, 'drop', /^delivery failed: connection failed$/],
      [hook.url, 302, /^delivery failed: HTTP 302$/],
      [hook.url, 404, /^delivery failed: HTTP 404$/],
    ];
    for (const [recipient, answer, error] of cases) {
      const id = await send(t, { channel: 'WEBHOOK', recipient });
      if (answer !== null) answers.set(id, answer);
      const row = await eventually(async () => {
        const [found] = await t.sql`select retry_count, last_error from notifications where id = ${id}`;
        return found!.retry_count >= 1 ? found : undefined;
      });
      expect(row!.last_error).toMatch(error);
    }
  });
});

describe('channels and the queue', () => {
  it('sends a LOG notification at once', async () => {
    const before = await counter('LOG', 'sent');
    const id = await send(t, { channel: 'LOG', recipient: 'on-call' });
    const sent = await untilStatus(id, 'SENT', 2_000);
    expect(sent.retryCount).toBe(0);
    expect(await counter('LOG', 'sent')).toBe(before + 1);
  });

  it('moves a row with an unknown channel to DEAD at once, without an attempt, and goes on with the queue', async () => {
    const hook = await receiver(() => 200);
    const { id: stray } = (await t.sql<{ id: string }[]>`
      insert into notifications (channel, recipient, subject, body) values ('SMS', '+15550100', 'x', 'y') returning id::text`)[0]!;
    const id = await send(t, { channel: 'WEBHOOK', recipient: hook.url });
    await untilStatus(id, 'SENT');
    const [row] = await eventually(async () => {
      const rows = await t.sql`select status, retry_count, next_retry_at, last_error, claimed_by from notifications where id = ${stray}`;
      return rows[0]!.status === 'DEAD' ? rows : undefined;
    });
    expect(row).toMatchObject({ status: 'DEAD', retry_count: 0, next_retry_at: null, claimed_by: null });
    expect(row!.last_error).toMatch(/^unknown channel "SMS": this server delivers only through WEBHOOK and LOG; requeueing/);
    expect(await counter('unknown', 'dead')).toBeGreaterThanOrEqual(1);
  });

  it('a requeued dead letter of an unknown channel goes DEAD again with that lastError, unless its channel is back', async () => {
    const REQUEUE = `mutation($id: ID!) { requeueNotification(id: $id) { ${FIELDS} } }`;
    const { id } = (await t.sql<{ id: string }[]>`
      insert into notifications (channel, recipient, subject, body, status, last_error)
      values ('SMS', '+15550100', 'x', 'y', 'DEAD', 'old error') returning id::text`)[0]!;
    const listed = await t.gql('{ notifications(status: DEAD) { nodes { id: rowId } } }', {}, 'VIEWER');
    expect(listed.data!.notifications.nodes).toContainEqual({ id });
    expect((await t.gql(REQUEUE, { id }, 'OPERATOR')).data!.requeueNotification).toMatchObject({ status: 'PENDING', lastError: null });
    const dead = await untilStatus(id, 'DEAD');
    expect(dead).toMatchObject({ retryCount: 0, lastError: expect.stringMatching(/^unknown channel "SMS"/) });
    // The channel is back (here: the row is pointed at one this server delivers through).
    await t.sql`update notifications set channel = 'LOG' where id = ${id}`;
    expect((await t.gql(REQUEUE, { id }, 'OPERATOR')).errors).toBeUndefined();
    await untilStatus(id, 'SENT');
  });

  it('counts deliveries by channel and outcome on /metrics', async () => {
    const hook = await receiver(() => 500);
    const failedBefore = await counter('WEBHOOK', 'failed');
    const id = await send(t, { channel: 'WEBHOOK', recipient: hook.url });
    await eventually(async () => hook.attemptsOf(id).length >= 1 && (await counter('WEBHOOK', 'failed')) > failedBefore);
    const text = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/^opsgraph_notification_deliveries_total\{channel="WEBHOOK",outcome="failed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^opsgraph_notification_deliveries_total\{channel="WEBHOOK",outcome="sent"\} [1-9]\d*$/m);
  });

  it('delivers a new notification at once, without waiting for the next poll (the write wakes the worker)', async () => {
    const hook = await receiver(() => 200);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sentAt = Date.now();
      const id = await send(slowPoll, { channel: 'WEBHOOK', recipient: hook.url });
      await eventually(async () => hook.attemptsOf(id).length === 1);
      delays.push(hook.attemptsOf(id)[0]!.at - sentAt);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Waiting for the 1 s poll instead spreads these evenly over 0 to 1 000 ms: four of five under 250 ms
    // would then happen about 1.6 % of the time. One straggler is allowed for a loaded machine.
    expect(delays.filter((delay) => delay < 250).length, `delays ${delays.join(', ')} ms`).toBeGreaterThanOrEqual(4);
  });
});

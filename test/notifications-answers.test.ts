// Issue 26: the receiver's answers honoured. 410 Gone ends the retries at once;
// 429 and 503 with Retry-After (seconds or an HTTP date) delay the next attempt,
// capped at NOTIFICATION_BACKOFF_CAP; the schedule is otherwise unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';
import { startSigningReceiver, type SigningReceiver } from './notifications-signing-receiver.js';

const t = useTestApp({
  NOTIFICATION_WORKER: 'on',
  NOTIFICATION_RETRY_INTERVAL: '50ms',
  NOTIFICATION_BACKOFF_UNIT: '1s',
  NOTIFICATION_BACKOFF_CAP: '10s',
  NOTIFICATION_WEBHOOK_TIMEOUT: '2s',
});

const FIELDS = 'id: rowId status retryCount nextRetryAt lastError deadReason sentAt';
const SEND = `mutation($input: SendNotificationInput!) { sendNotification(input: $input) { ${FIELDS} } }`;
const ONE = `query($id: ID!) { notification(id: $id) { ${FIELDS} } }`;

const receivers: SigningReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(respond: SigningReceiver['respond']) {
  const started = await startSigningReceiver(respond);
  receivers.push(started);
  return started;
}
async function send(recipient: string): Promise<string> {
  const result = await t.gql(SEND, { input: { channel: 'WEBHOOK', recipient, subject: 'cert expires', body: 'renew' } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.sendNotification.id;
}
async function untilStatus(id: string, status: string, ms = 20_000) {
  return eventually(async () => {
    const found = (await t.gql(ONE, { id }, 'VIEWER')).data!.notification;
    return found.status === status ? found : undefined;
  }, ms, `notification ${id} to be ${status}`);
}

describe('410 Gone', () => {
  it('makes the notification DEAD after one attempt, says why, and the dead-letter badge counts it', async () => {
    const before = (await t.gql('{ dashboard { deadLetterCount } }', {}, 'VIEWER')).data!.dashboard.deadLetterCount;
    const hook = await receiver(() => 410);
    const id = await send(hook.url);
    const dead = await untilStatus(id, 'DEAD');
    expect(dead).toMatchObject({ retryCount: 1, nextRetryAt: null, deadReason: 'GONE', sentAt: null });
    expect(dead.lastError).toMatch(/^delivery failed: HTTP 410 \(the receiver asked not to be sent this again/);
    // No further attempt, though the backoff unit has passed three times over.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(hook.of(id)).toHaveLength(1);
    expect((await t.gql('{ dashboard { deadLetterCount } }', {}, 'VIEWER')).data!.dashboard.deadLetterCount).toBe(before + 1);
    const listed = await t.gql('{ notifications(status: DEAD) { nodes { id: rowId deadReason } } }', {}, 'VIEWER');
    expect(listed.data!.notifications.nodes).toContainEqual({ id, deadReason: 'GONE' });
    // Requeueing sends it again, once the receiver wants it: deadReason goes with the DEAD status.
    const requeued = await t.gql(`mutation($id: ID!) { requeueNotification(id: $id) { ${FIELDS} } }`, { id }, 'OPERATOR');
    expect(requeued.data!.requeueNotification).toMatchObject({ status: 'PENDING', deadReason: null, lastError: null });
    hook.respond = () => 204;
    await untilStatus(id, 'SENT');
  });

  it('a 404 or a 500 is still retried on the schedule', async () => {
    const hook = await receiver(() => 404);
    const id = await send(hook.url);
    const failed = await eventually(async () => {
      const found = (await t.gql(ONE, { id }, 'VIEWER')).data!.notification;
      return found.retryCount >= 1 ? found : undefined;
    });
    expect(failed).toMatchObject({ status: 'FAILED', lastError: 'delivery failed: HTTP 404', deadReason: null });
  });
});

describe('Retry-After', () => {
  it('Retry-After: 7 on a 503 delays the next attempt by at least 7 s (the 1 s unit would have retried after 1 s)', async () => {
    const hook = await receiver((delivery) =>
      hook.of(delivery.id).length === 1 ? { status: 503, headers: { 'retry-after': '7' } } : 204,
    );
    const id = await send(hook.url);
    const failed = await eventually(async () => {
      const [row] = await t.sql<{ retry_count: number; wait_ms: number; last_error: string }[]>`
        select retry_count, last_error, (extract(epoch from next_retry_at - updated_at) * 1000)::float8 as wait_ms
        from notifications where id = ${id}`;
      return row!.retry_count === 1 ? row : undefined;
    });
    expect(failed).toEqual({ retry_count: 1, wait_ms: 7_000, last_error: 'delivery failed: HTTP 503 (Retry-After: 7)' });
    const sent = await untilStatus(id, 'SENT');
    expect(sent.retryCount).toBe(1);
    const [first, second] = hook.of(id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(7_000);
    expect(second!.at - first!.at).toBeLessThan(9_000);
  }, 30_000);

  it('a 429 with an HTTP date waits until that date; one past the cap waits the cap; a 500 ignores Retry-After', async () => {
    const untilDate = new Map<string, number>();
    const hook = await receiver((delivery) => {
      if (hook.of(delivery.id).length > 1) return 204;
      const date = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000);
      untilDate.set(delivery.id, date.getTime());
      return { status: 429, headers: { 'retry-after': date.toUTCString() } };
    });
    const id = await send(hook.url);
    const sent = await untilStatus(id, 'SENT');
    expect(sent).toMatchObject({ retryCount: 1, lastError: expect.stringMatching(/^delivery failed: HTTP 429 \(Retry-After: \w{3}, \d\d \w{3} \d{4}/) });
    expect(hook.of(id)[1]!.at).toBeGreaterThanOrEqual(untilDate.get(id)! - 50);
    expect(hook.of(id)[1]!.at - hook.of(id)[0]!.at).toBeGreaterThan(2_500); // more than the unit's 1 s

    // Past the cap (10 s): capped. A 500's Retry-After is not the receiver asking to wait: the schedule.
    const capped = await receiver(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const plain = await receiver(() => ({ status: 500, headers: { 'retry-after': '3600' } }));
    const cappedId = await send(capped.url);
    const plainId = await send(plain.url);
    const waits = await eventually(async () => {
      const rows = await t.sql<{ id: string; wait_ms: number }[]>`
        select id::text, (extract(epoch from next_retry_at - updated_at) * 1000)::float8 as wait_ms
        from notifications where id in (${cappedId}, ${plainId}) and retry_count = 1`;
      return rows.length === 2 ? Object.fromEntries(rows.map((r) => [r.id, r.wait_ms])) : undefined;
    });
    expect(waits).toEqual({ [cappedId]: 10_000, [plainId]: 1_000 });
  }, 30_000);
});

// Issue 26: a keep-alive connection the receiver closed while it sat idle fails
// the next request on it before any answer. The worker sends that request again
// at once on a fresh connection, without counting an attempt; webhook-id lets a
// receiver that did get the first one dedupe. A second failure counts as usual.
import { afterEach, describe, expect, it } from 'vitest';
import { staleSocketRetries } from '../src/notifications/metrics.js';
import { useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';
import { startSigningReceiver, verifies, type SigningReceiver } from './notifications-signing-receiver.js';

const t = useTestApp({
  NOTIFICATION_WORKER: 'on',
  NOTIFICATION_RETRY_INTERVAL: '50ms',
  NOTIFICATION_BACKOFF_UNIT: '100ms',
  NOTIFICATION_BACKOFF_CAP: '200ms',
  NOTIFICATION_WEBHOOK_TIMEOUT: '2s',
});

const receivers: SigningReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
const resent = async () => (await staleSocketRetries.get()).values[0]?.value ?? 0;
const SEND = 'mutation($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }';
async function send(recipient: string, subject = 'disk almost full'): Promise<string> {
  const result = await t.gql(SEND, { input: { channel: 'WEBHOOK', recipient, subject, body: 'db-1: 93%' } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.sendNotification.id;
}

describe('a receiver that closes every idle keep-alive connection', () => {
  it('200 deliveries: none counted for a reset, none lost, none processed twice by a receiver that dedupes on webhook-id', async () => {
    const secret = (await t.gql('{ webhookSigningSecrets { secret } }', {}, 'SUPERADMIN')).data!.webhookSigningSecrets[0].secret as string;
    const processed = new Map<string, number>();
    let duplicates = 0;
    const hook = await startSigningReceiver((delivery) => {
      // What a receiver does: verify, then act once per webhook-id.
      if (!verifies(secret, delivery)) return 401;
      if (processed.has(delivery.webhookId)) duplicates++;
      else processed.set(delivery.webhookId, 1);
      return 204;
    });
    receivers.push(hook);
    // Every request that comes on a connection which already carried one meets a connection the
    // receiver has closed: most are reset unread; every fourth is read first and its answer lost.
    hook.onReused = (n) => (n % 4 === 3 ? 'lose' : 'reset');
    const before = await resent();
    const ids = (
      await t.sql<{ id: string }[]>`
        insert into notifications (channel, recipient, subject, body)
        select 'WEBHOOK', ${hook.url}, 'alert ' || g, 'body ' || g from generate_series(1, 200) g
        returning id::text`
    ).map((row) => row.id);

    await eventually(async () => {
      const [row] = await t.sql<{ n: number }[]>`select count(*)::int as n from notifications where status <> 'SENT'`;
      return row!.n === 0;
    }, 30_000, 'all 200 SENT');
    const rows = await t.sql<{ id: string; retry_count: number }[]>`select id::text, retry_count from notifications order by id`;
    // None lost: every notification processed, exactly once.
    expect(new Set(processed.keys())).toEqual(new Set(ids));
    // No reset counted as an attempt: each notification went out on its first counted attempt.
    expect(rows.filter((row) => row.retry_count !== 0)).toEqual([]);
    // Every request carried the notification's own id as webhook-id, and the lost answers came again under it.
    for (const delivery of hook.deliveries) expect(delivery.webhookId).toBe(delivery.id);
    const lost = hook.deliveries.length - 200;
    expect(lost).toBeGreaterThan(0);
    expect(duplicates).toBe(lost);
    // The scenario happened, often: each reset (unread or lost) was sent again once, at once.
    expect(hook.resets).toBeGreaterThanOrEqual(20);
    expect((await resent()) - before).toBe(hook.resets);
  }, 60_000);

  it('a second failure, on the fresh connection, counts as an attempt as usual', async () => {
    let target = '';
    const hook = await startSigningReceiver((delivery) => (delivery.id === target && delivery.onSocket === 0 && hook.of(target).length === 1 ? 'drop' : 204));
    receivers.push(hook);
    hook.onReused = () => 'reset';
    // A first delivery leaves a keep-alive connection idle in the worker's pool.
    const warm = await send(hook.url, 'warm-up');
    await eventually(async () => (await t.sql`select status from notifications where id = ${warm}`)[0]!.status === 'SENT');
    const before = await resent();
    target = String((await t.sql<{ n: string }[]>`select (last_value + 1)::text as n from notifications_id_seq`)[0]!.n);
    const id = await send(hook.url);
    expect(id).toBe(target);
    const sent = await eventually(async () => {
      const [row] = await t.sql`select status, retry_count, last_error from notifications where id = ${id}`;
      return row!.status === 'SENT' ? row : undefined;
    }, 10_000, 'SENT');
    // The reused connection was reset (sent again, uncounted); the fresh one was dropped (counted); the retry went out.
    expect(sent).toEqual({ status: 'SENT', retry_count: 1, last_error: 'delivery failed: connection failed' });
    expect((await resent()) - before).toBe(1);
    expect(hook.of(id)).toHaveLength(2); // the dropped one and the one answered: as many as the attempts counted
  });
});

// Issue 26: every webhook signed per Standard Webhooks v1, verified by a real
// receiver with the `standardwebhooks` package; the secret generated on first
// start and kept in the database, or set by WEBHOOK_SIGNING_SECRET; rotation.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { codes, useSecondInstance, useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';
import { startSigningReceiver, verifies, verify, type SigningReceiver } from './notifications-signing-receiver.js';

const WORKER = {
  NOTIFICATION_WORKER: 'on',
  NOTIFICATION_RETRY_INTERVAL: '50ms',
  NOTIFICATION_BACKOFF_UNIT: '100ms',
  NOTIFICATION_BACKOFF_CAP: '200ms',
  NOTIFICATION_WEBHOOK_TIMEOUT: '2s',
};
const t = useTestApp(WORKER);
const second = useSecondInstance(t, { NOTIFICATION_WORKER: 'off' });
// Two secrets set by the setting, for rotation without the database (any valid whsec_ secrets).
const SETTING_A = `whsec_${Buffer.alloc(32, 'a').toString('base64')}`;
const SETTING_B = `whsec_${Buffer.alloc(32, 'b').toString('base64')}`;
const bySetting = useTestApp({ ...WORKER, WEBHOOK_SIGNING_SECRET: `${SETTING_B}, ${SETTING_A}` });

const SECRETS = '{ webhookSigningSecrets { secret source createdAt expiresAt } }';
const ROTATE = 'mutation($overlap: String) { rotateWebhookSigningSecret(overlap: $overlap) { secret source createdAt expiresAt } }';
const SEND = 'mutation($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }';
const ONE = 'query($id: ID!) { notification(id: $id) { id: rowId status retryCount lastError deadReason } }';

const receivers: SigningReceiver[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(respond?: SigningReceiver['respond']) {
  const started = await startSigningReceiver(respond);
  receivers.push(started);
  return started;
}

async function send(app: typeof t, recipient: string, body = 'db-1: 93%'): Promise<string> {
  const result = await app.gql(SEND, { input: { channel: 'WEBHOOK', recipient, subject: 'disk almost full', body } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.sendNotification.id;
}

async function secrets(app: typeof t): Promise<{ secret: string; source: string; createdAt: string | null; expiresAt: string | null }[]> {
  const result = await app.gql(SECRETS, {}, 'SUPERADMIN');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.webhookSigningSecrets;
}

describe('signing with the secret kept in the database', () => {
  it('generated on first start, one for every instance, read by a SUPERADMIN only', async () => {
    const first = await eventually(async () => {
      const [row] = await t.sql`select count(*)::int as n from webhook_signing_secrets`;
      return row!.n === 1 ? row : undefined;
    }, 5_000, 'the first secret');
    expect(first).toEqual({ n: 1 });
    const listed = await secrets(t);
    expect(listed).toEqual([{ secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), source: 'DATABASE', createdAt: expect.any(String), expiresAt: null }]);
    expect(await secrets(second)).toEqual(listed);
    for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const) {
      expect(codes(await t.gql(SECRETS, {}, role))).toEqual(['FORBIDDEN']);
      expect(codes(await t.gql(ROTATE, {}, role))).toEqual(['FORBIDDEN']);
    }
    expect(codes(await t.gql(SECRETS, {}, null))).toEqual(['UNAUTHENTICATED']);
  });

  it('signs all five attempts of a notification under one webhook-id; each verifies with the library', async () => {
    const { secret } = (await secrets(t))[0]!;
    const hook = await receiver(() => 500);
    const id = await send(t, hook.url, 'ünïcödé body: "quoted" \\ and 🚀');
    const dead = await eventually(async () => {
      const found = (await t.gql(ONE, { id }, 'VIEWER')).data!.notification;
      return found.status === 'DEAD' ? found : undefined;
    }, 15_000, 'DEAD');
    expect(dead).toMatchObject({ retryCount: 5, deadReason: 'MAX_ATTEMPTS' });
    const attempts = hook.of(id);
    expect(attempts).toHaveLength(5);
    for (const attempt of attempts) {
      expect(attempt.webhookId).toBe(id);
      const timestamp = Number(attempt.headers['webhook-timestamp']);
      // The attempt's own Unix seconds.
      expect(Math.abs(timestamp - attempt.at / 1000)).toBeLessThan(2);
      expect(verify(secret!, attempt)).toEqual({ id, subject: 'disk almost full', body: 'ünïcödé body: "quoted" \\ and 🚀' });
      // The same HMAC by hand: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> over the exact bytes.
      const key = Buffer.from(secret!.slice('whsec_'.length), 'base64');
      const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(attempt.raw).digest('base64');
      expect(attempt.headers['webhook-signature']).toBe(`v1,${mac}`);
    }
  });

  it('a tampered body, another id, a wrong secret or a timestamp outside the tolerance fails verification', async () => {
    const { secret } = (await secrets(t))[0]!;
    const hook = await receiver(() => 204);
    const id = await send(t, hook.url);
    const [delivery] = await eventually(async () => hook.of(id).length === 1 && hook.of(id), 5_000, 'the delivery');
    expect(verifies(secret!, delivery!)).toBe(true);
    const tampered = Buffer.from(delivery!.raw.toString('utf8').replace('93%', '39%'));
    expect(() => verify(secret!, { ...delivery!, raw: tampered })).toThrow(/No matching signature/);
    expect(() => verify(secret!, { ...delivery!, headers: { ...delivery!.headers, 'webhook-id': `${id}0` } })).toThrow(/No matching signature/);
    const later = Number(delivery!.headers['webhook-timestamp']) + 1;
    expect(() => verify(secret!, { ...delivery!, headers: { ...delivery!.headers, 'webhook-timestamp': String(later) } })).toThrow(/No matching signature/);
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, delivery!)).toThrow(/No matching signature/);
    // Replayed six minutes later: outside the library's five-minute tolerance, though the signature is right.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(delivery!.at + 6 * 60_000);
    expect(() => verify(secret!, delivery!)).toThrow(/too old/);
    vi.setSystemTime(delivery!.at - 6 * 60_000);
    expect(() => verify(secret!, delivery!)).toThrow(/too new/);
  });

  it('rotation: both secrets sign during the overlap, then only the new one; audited; the setting cannot be rotated here', async () => {
    const { secret: old } = (await secrets(t))[0]!;
    const hook = await receiver(() => 204);
    const rotated = await t.gql(ROTATE, { overlap: '3s' }, 'SUPERADMIN');
    expect(rotated.errors).toBeUndefined();
    const live = rotated.data!.rotateWebhookSigningSecret;
    expect(live).toHaveLength(2);
    expect(live[1]).toMatchObject({ secret: old, source: 'DATABASE', expiresAt: expect.any(String) });
    expect(live[0]).toMatchObject({ source: 'DATABASE', expiresAt: null });
    const fresh = live[0].secret as string;
    expect(fresh).not.toBe(old);
    expect(new Date(live[1].expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(3_000);
    expect(await secrets(second)).toEqual(live);

    // Within about a second every worker signs with both: either secret verifies, so a receiver switches without a gap.
    const during = await eventually(async () => {
      const id = await send(t, hook.url);
      const [delivery] = await eventually(async () => hook.of(id).length === 1 && hook.of(id), 5_000, 'the delivery');
      return String(delivery!.headers['webhook-signature']).split(' ').length === 2 ? delivery : undefined;
    }, 5_000, 'two signatures');
    expect(verifies(fresh, during!)).toBe(true);
    expect(verifies(old!, during!)).toBe(true);
    expect(String(during!.headers['webhook-signature'])).toMatch(/^v1,\S+ v1,\S+$/);

    // After the overlap, the old secret no longer signs.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, new Date(live[1].expiresAt).getTime() - Date.now()) + 100));
    const id = await send(t, hook.url);
    const [after] = await eventually(async () => hook.of(id).length === 1 && hook.of(id), 5_000, 'the delivery');
    expect(verifies(fresh, after!)).toBe(true);
    expect(verifies(old!, after!)).toBe(false);
    expect(await secrets(t)).toEqual([expect.objectContaining({ secret: fresh, expiresAt: null })]);

    const audit = await t.gql('{ auditLog(action: "webhook.signing_secret.rotate") { nodes { actor details } } }', {}, 'ADMIN');
    expect(audit.data!.auditLog.nodes).toHaveLength(1);
    expect(JSON.stringify(audit.data!.auditLog.nodes)).not.toContain(old!.slice(6));
    expect(JSON.stringify(audit.data!.auditLog.nodes)).not.toContain(fresh.slice(6));

    const badOverlap = await t.gql(ROTATE, { overlap: 'soon' }, 'SUPERADMIN');
    expect(codes(badOverlap)).toEqual(['BAD_USER_INPUT']);
    expect(badOverlap.errors![0]!.extensions!.argument).toBe('overlap');
    expect(codes(await bySetting.gql(ROTATE, {}, 'SUPERADMIN'))).toEqual(['CONFLICT']);
  });
});

describe('signing with WEBHOOK_SIGNING_SECRET', () => {
  it('signs every attempt with each secret of the setting, in its order; either one verifies', async () => {
    expect(await secrets(bySetting)).toEqual([
      { secret: SETTING_B, source: 'SETTING', createdAt: null, expiresAt: null },
      { secret: SETTING_A, source: 'SETTING', createdAt: null, expiresAt: null },
    ]);
    const hook = await receiver((delivery) => (hook.of(delivery.id).length < 2 ? 503 : 204));
    const id = await send(bySetting, hook.url);
    await eventually(async () => hook.of(id).length === 2, 5_000, 'two attempts');
    for (const attempt of hook.of(id)) {
      expect(attempt.webhookId).toBe(id);
      expect(verifies(SETTING_A, attempt)).toBe(true);
      expect(verifies(SETTING_B, attempt)).toBe(true);
      const timestamp = new Date(Number(attempt.headers['webhook-timestamp']) * 1000);
      expect(attempt.headers['webhook-signature']).toBe(
        `${new Webhook(SETTING_B).sign(id, timestamp, attempt.raw)} ${new Webhook(SETTING_A).sign(id, timestamp, attempt.raw)}`,
      );
    }
    // The setting's secrets are the only ones: the database keeps none for this server.
    expect((await bySetting.sql`select count(*)::int as n from webhook_signing_secrets`)[0]!.n).toBe(0);
  });
});

// examples/webhook-receiver.ts against a real server, and `npm run webhook-secret`
// that hands it the secret: what a newcomer wiring up a receiver does.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startWebhookReceiver, type Notification, type WebhookReceiver } from '../examples/webhook-receiver.js';
import { useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';

const t = useTestApp({ NOTIFICATION_WORKER: 'on', NOTIFICATION_RETRY_INTERVAL: '50ms', NOTIFICATION_BACKOFF_UNIT: '100ms' });
const run = promisify(execFile);

const SEND = 'mutation($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }';
const ONE = 'query($id: ID!) { notification(id: $id) { status retryCount deadReason lastError } }';

const open: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function send(recipient: string, subject: string): Promise<string> {
  const result = await t.gql(SEND, { input: { channel: 'WEBHOOK', recipient, subject, body: 'renew before Friday' } }, 'OPERATOR');
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.sendNotification.id;
}

/** What `npm run webhook-secret` prints on stdout, with the server's environment. */
async function webhookSecret(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/webhook-secret.ts'], {
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'silent', ...env },
  });
  return stdout.trim().split('\n');
}

describe('the example receiver', () => {
  it('gets its secret from npm run webhook-secret, handles each notification once, rejects forgeries, and stops with 410', async () => {
    const secrets = await webhookSecret({ DATABASE_URL: t.databaseUrl });
    const api = (await t.gql('{ webhookSigningSecrets { secret } }', {}, 'SUPERADMIN')).data!.webhookSigningSecrets;
    expect(secrets).toEqual(api.map((s: { secret: string }) => s.secret));

    const handled: { notification: Notification; webhookId: string }[] = [];
    const lines: string[] = [];
    const receiver = await startWebhookReceiver({
      secrets,
      port: 0,
      onNotification: (notification, webhookId) => void handled.push({ notification, webhookId }),
      log: (line) => lines.push(line),
    });
    open.push(receiver);

    const id = await send(receiver.url, 'certificate expires in 3 days');
    await eventually(async () => (await t.gql(ONE, { id }, 'VIEWER')).data!.notification.status === 'SENT');
    expect(handled).toEqual([{ notification: { id, subject: 'certificate expires in 3 days', body: 'renew before Friday' }, webhookId: id }]);

    // A retry whose answer was lost: same webhook-id, validly signed. Acknowledged, not handled again.
    const payload = JSON.stringify({ id, subject: 'certificate expires in 3 days', body: 'renew before Friday' });
    const post = (secret: string, body: string, webhookId = id) => {
      const now = new Date();
      return fetch(receiver.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': webhookId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(webhookId, now, body),
        },
        body,
      });
    };
    expect((await post(secrets[0]!, payload)).status).toBe(200);
    expect(handled).toHaveLength(1);
    expect(lines).toContain(`duplicate of ${id}: already handled`);
    // A forgery: signed with another secret, or a body changed after signing.
    expect((await post(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, payload, 'forged-1')).status).toBe(401);
    const tampered = await fetch(receiver.url, {
      method: 'POST',
      headers: Object.fromEntries((await signedHeaders(secrets[0]!, 'forged-2', payload)).entries()),
      body: payload.replace('3 days', '30 days'),
    });
    expect(tampered.status).toBe(401);
    expect(handled).toHaveLength(1);

    // Told to stop: the next notification is answered 410 and is DEAD after one attempt.
    expect((await fetch(new URL('/stop', receiver.url), { method: 'POST' })).status).toBe(200);
    const gone = await send(receiver.url, 'another one');
    const dead = await eventually(async () => {
      const found = (await t.gql(ONE, { id: gone }, 'VIEWER')).data!.notification;
      return found.status === 'DEAD' ? found : undefined;
    });
    expect(dead).toMatchObject({ retryCount: 1, deadReason: 'GONE' });
    expect(handled).toHaveLength(1);
  }, 30_000);

  it('npm run webhook-secret prints WEBHOOK_SIGNING_SECRET\'s secrets when it is set, without a database', async () => {
    const a = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
    const b = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
    expect(await webhookSecret({ WEBHOOK_SIGNING_SECRET: `${a},${b}`, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })).toEqual([a, b]);
  }, 30_000);
});

async function signedHeaders(secret: string, webhookId: string, body: string): Promise<Headers> {
  const now = new Date();
  return new Headers({
    'content-type': 'application/json',
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(webhookId, now, body),
  });
}

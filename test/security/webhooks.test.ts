// THREAT: server-side request forgery through webhooks. Any OPERATOR chooses a
// notification's recipient URL, and the delivery worker POSTs to it from inside
// the network: the server's own /graphql and /metrics, PostgreSQL on 5432, the
// cloud metadata service at 169.254.169.254. lastError (read by every VIEWER)
// used to quote the socket error, telling open, closed and non-HTTP ports apart.
// DEFENCE: only globally routable unicast addresses are delivered to, checked
// when the notification is sent (literal addresses), before each delivery
// (every address the name resolves to), and again by the socket's own lookup at
// connect time (DNS rebinding). Redirects are not followed. lastError says
// "delivery failed: <category>". VIEWERs read recipient as "(hidden)".
// SETTING: WEBHOOK_ALLOW_HOSTS (host names, addresses, CIDR ranges) for
// deployments that deliver inside their own network; NOTIFICATION_WEBHOOK_TIMEOUT.
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import type { Resolve } from '../../src/notifications/channels/destination.js';
import { NotificationWorker } from '../../src/notifications/worker.js';
import { codes, useTestApp, type TestApp } from '../helpers.js';
import { startReceiver, type Receiver } from '../notifications-receiver.js';

// The delivery workers of these servers stay off: each test drains with its own worker.
const closed = useTestApp({ WEBHOOK_ALLOW_HOSTS: '' });
const allowing = useTestApp({ WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8,localhost', NOTIFICATION_WEBHOOK_TIMEOUT: '500ms' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function receiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const started = await startReceiver(respond);
  cleanups.push(() => started.close());
  return started;
}

const SEND = 'mutation($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }';

async function send(t: TestApp, recipient: string) {
  return t.gql<{ sendNotification: { id: string } }>(SEND, { input: { channel: 'WEBHOOK', recipient, subject: 's', body: 'b' } }, 'OPERATOR');
}

/** Delivers every PENDING row once with a worker of the server's own settings, and returns the row. */
async function deliver(t: TestApp, id: string, resolve?: Resolve) {
  const services: Services = { sql: t.sql, config: t.app.config, log: createLogger('silent') };
  await new NotificationWorker(services, { resolve }).drain('pending');
  const [row] = await t.sql<{ status: string; last_error: string | null }[]>`select status, last_error from notifications where id = ${id}`;
  return row!;
}

describe('webhook destinations, with WEBHOOK_ALLOW_HOSTS empty (the default)', () => {
  it('refuses internal literal addresses when the notification is sent, IPv4, IPv6 and mapped forms', async () => {
    const internal = [
      'http://127.0.0.1:4000/graphql',
      'http://127.1:5432/',
      'http://[::1]:4000/metrics',
      'http://[::ffff:127.0.0.1]:4000/',
      'http://[::ffff:7f00:1]/',
      'http://10.0.0.8/hook',
      'http://172.16.3.4/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://[fd00::2]/hook',
      'http://224.0.0.1/hook',
      'http://0.0.0.0:4000/',
      'http://[::]:4000/',
      'http://100.64.0.1/hook',
      'https://2130706433/', // 127.0.0.1 as one number: WHATWG URL parsing normalises it
    ];
    for (const recipient of internal) {
      const result = await send(closed, recipient);
      expect(codes(result), recipient).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.argument, recipient).toMatch(/recipient/);
    }
    // A public address is accepted (and would be delivered to).
    expect(codes(await send(closed, 'https://93.184.216.34/hook'))).toEqual([]);
  });

  it('refuses a host name that resolves to loopback at delivery: the loopback sink gets nothing', async () => {
    const hook = await receiver();
    const url = hook.url.replace('127.0.0.1', 'localhost');
    const sent = await send(closed, url);
    expect(codes(sent)).toEqual([]);
    const row = await deliver(closed, sent.data!.sendNotification.id);
    expect(row).toEqual({ status: 'FAILED', last_error: 'delivery failed: destination not allowed (loopback address)' });
    expect(hook.deliveries).toEqual([]);
  });

  it('refuses a name that rebinds to loopback between the check and the connection (DNS rebinding)', async () => {
    const hook = await receiver();
    const port = new URL(hook.url).port;
    let lookups = 0;
    // A hostile DNS server: a public address for the first question, loopback afterwards.
    const rebinding: Resolve = async () => [{ address: lookups++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    const sent = await send(closed, `http://rebind.example:${port}/hook`);
    const row = await deliver(closed, sent.data!.sendNotification.id, rebinding);
    expect(lookups).toBe(2); // once before sending, once when the socket connected
    expect(row).toEqual({ status: 'FAILED', last_error: 'delivery failed: destination not allowed (loopback address)' });
    expect(hook.deliveries).toEqual([]);
  });

  it('refuses a name with any internal address among its answers', async () => {
    const hook = await receiver();
    const both: Resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ];
    const sent = await send(closed, `http://mixed.example:${new URL(hook.url).port}/hook`);
    const row = await deliver(closed, sent.data!.sendNotification.id, both);
    expect(row.last_error).toBe('delivery failed: destination not allowed (loopback address)');
    expect(hook.deliveries).toEqual([]);
  });
});

describe('webhook destinations, with WEBHOOK_ALLOW_HOSTS set', () => {
  it('delivers to an allowed internal receiver, by address range or by name', async () => {
    const hook = await receiver();
    for (const url of [hook.url, hook.url.replace('127.0.0.1', 'localhost')]) {
      const sent = await send(allowing, url);
      expect(codes(sent)).toEqual([]);
      expect(await deliver(allowing, sent.data!.sendNotification.id)).toEqual({ status: 'SENT', last_error: null });
    }
    expect(hook.succeeded).toHaveLength(2);
  });

  it('does not follow a redirect, even to an allowed host', async () => {
    const target = await receiver();
    const hook = await receiver(() => 302);
    const sent = await send(allowing, `${hook.url}?next=${encodeURIComponent(target.url)}`);
    const row = await deliver(allowing, sent.data!.sendNotification.id);
    expect(row).toEqual({ status: 'FAILED', last_error: 'delivery failed: HTTP 302' });
    expect(target.deliveries).toEqual([]);
  });

  it('says only "delivery failed" and a category in lastError: refused, timeout, HTTP status, never the socket error', async () => {
    // A port that is closed, one that speaks something other than HTTP, and one that never answers.
    const gone = await receiver();
    await gone.close();
    const sockets = new Set<import('node:net').Socket>();
    const garbage = createTcpServer((socket) => sockets.add(socket).add(socket.end('SSH-2.0-OpenSSH_9.6\r\n')));
    const silent = createTcpServer((socket) => sockets.add(socket));
    for (const server of [garbage, silent]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => {
        for (const socket of sockets) socket.destroy();
        return new Promise((resolve) => server.close(() => resolve()));
      });
    }
    const port = (server: typeof garbage) => (server.address() as AddressInfo).port;
    const cases: [string, string][] = [
      [gone.url, 'delivery failed: connection refused'],
      [`http://127.0.0.1:${port(garbage)}/`, 'delivery failed: connection failed'],
      [`http://127.0.0.1:${port(silent)}/`, 'delivery failed: timeout after 500ms'],
    ];
    for (const [url, expected] of cases) {
      const sent = await send(allowing, url);
      const row = await deliver(allowing, sent.data!.sendNotification.id);
      expect(row.last_error, url).toBe(expected);
      expect(row.last_error).not.toMatch(/\bE[A-Z]{4,}\b|HPE_|Parse Error|socket hang up/);
    }
  });
});

describe('who reads a recipient', () => {
  it('shows the URL to OPERATOR and above, and "(hidden)" to a VIEWER', async () => {
    const sent = await send(allowing, 'https://hooks.example.com/T000/B000/secret-token');
    const id = sent.data!.sendNotification.id;
    const read = (role: 'VIEWER' | 'OPERATOR' | 'ADMIN') =>
      allowing.gql<{ notification: { recipient: string } }>('query($id: ID!) { notification(id: $id) { recipient } }', { id }, role);
    expect((await read('VIEWER')).data!.notification.recipient).toBe('(hidden)');
    expect((await read('OPERATOR')).data!.notification.recipient).toBe('https://hooks.example.com/T000/B000/secret-token');
    expect((await read('ADMIN')).data!.notification.recipient).toBe('https://hooks.example.com/T000/B000/secret-token');
  });
});

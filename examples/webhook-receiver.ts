// A receiver for opsgraph's webhook notifications: it verifies each request
// with the `standardwebhooks` package (Standard Webhooks v1), acts once per
// webhook-id (a retry whose answer was lost comes again under the same id), and
// answers 410 Gone once told to stop, which ends opsgraph's retries.
//
//   WEBHOOK_SECRET="$(npm run -s webhook-secret)" npx tsx examples/webhook-receiver.ts [port=4001]
//
// WEBHOOK_SECRET takes several secrets (comma- or space-separated) during a
// rotation; a request verifies if any one of them signed it. `POST /stop` (from
// this machine) makes it answer 410 from then on. See docs/notifications.md.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

export interface Notification {
  id: string;
  subject: string;
  body: string;
}

export interface ReceiverOptions {
  /** whsec_… secrets: the one `npm run webhook-secret` prints (several during a rotation). */
  secrets: string[];
  port?: number;
  host?: string;
  /** Called once per webhook-id. Throw to answer 500 (opsgraph retries it later). */
  onNotification: (notification: Notification, webhookId: string) => void | Promise<void>;
  log?: (line: string) => void;
}

export interface WebhookReceiver {
  url: string;
  /** From now on every webhook is answered 410 Gone: opsgraph makes it DEAD and sends it no more. */
  stop(): void;
  close(): Promise<void>;
}

/** How many webhook-ids it remembers; opsgraph's retries of one notification come within hours. */
const REMEMBERED = 100_000;

export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const verifiers = options.secrets.map((secret) => new Webhook(secret));
  if (verifiers.length === 0) throw new Error('WEBHOOK_SECRET is empty: `npm run webhook-secret` prints the secret');
  const log = options.log ?? ((line: string) => console.log(line));
  const seen = new Map<string, true>();
  let stopped = false;

  const server: Server = createServer(async (req, res) => {
    const answer = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    if (req.method === 'POST' && req.url === '/stop' && isLocal(req)) {
      stopped = true;
      log('told to stop: answering 410 Gone from now on');
      return answer(200, 'stopped');
    }
    if (req.method !== 'POST') return answer(405, 'POST only');
    const raw = await readBody(req);
    // Verify the exact bytes received, before parsing: any change to them fails.
    const headers = req.headers as Record<string, string>;
    let notification: Notification | null = null;
    for (const verifier of verifiers) {
      try {
        notification = verifier.verify(raw, headers) as Notification;
        break;
      } catch {
        // try the next secret
      }
    }
    if (notification === null) {
      log(`rejected a request that no secret signed (webhook-id ${headers['webhook-id'] ?? 'missing'})`);
      return answer(401, 'bad signature');
    }
    const webhookId = headers['webhook-id']!;
    if (stopped) return answer(410, 'gone');
    if (seen.has(webhookId)) {
      log(`duplicate of ${webhookId}: already handled`);
      return answer(200, 'duplicate');
    }
    try {
      await options.onNotification(notification, webhookId);
    } catch (error) {
      log(`could not handle ${webhookId}: ${(error as Error).message}`);
      return answer(500, 'failed');
    }
    seen.set(webhookId, true);
    if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value!);
    return answer(200, 'ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4001, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/hook`,
    stop: () => void (stopped = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isLocal(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? '';
  return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const secrets = (process.env.WEBHOOK_SECRET ?? '').split(/[\s,]+/).filter((s) => s !== '');
  const port = Number(process.argv[2] ?? 4001);
  try {
    const receiver = await startWebhookReceiver({
      secrets,
      port,
      onNotification: ({ id, subject, body }, webhookId) => console.log(`notification ${id} (webhook-id ${webhookId}): ${subject}\n  ${body}`),
    });
    console.log(
      [
        `Receiving webhooks at ${receiver.url}, verified with ${secrets.length} secret(s).`,
        `Send one there (the server needs WEBHOOK_ALLOW_HOSTS=127.0.0.1 to deliver to this machine):`,
        `  mutation { sendNotification(input: { channel: WEBHOOK, recipient: "${receiver.url}", subject: "hello", body: "from opsgraph" }) { id status } }`,
        `curl -X POST ${new URL('/stop', receiver.url).href} makes it answer 410 Gone from then on.`,
      ].join('\n'),
    );
  } catch (error) {
    console.error(`webhook-receiver: ${(error as Error).message}`);
    process.exit(1);
  }
}

// A real webhook receiver for the signing tests: it keeps each request's
// headers and exact body bytes, and verifies them as a receiver would, with
// the `standardwebhooks` package (the spec's reference library), not with
// opsgraph's own code.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface SignedDelivery {
  headers: IncomingHttpHeaders;
  /** The body exactly as received. */
  raw: Buffer;
  /** webhook-id. */
  webhookId: string;
  /** The notification id in the body. */
  id: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** Requests this connection carried before this one. */
  onSocket: number;
}

/** The status to answer with (and headers), 'drop' to destroy the connection without an answer. */
export type SignedAnswer = number | 'drop' | { status: number; headers: Record<string, string> };

export interface SigningReceiver {
  url: string;
  deliveries: SignedDelivery[];
  respond: (delivery: SignedDelivery) => SignedAnswer | Promise<SignedAnswer>;
  /**
   * Before reading a request that arrives on a connection which already carried one: 'reset' destroys
   * the connection unread (the receiver had closed it while idle, and the FIN crossed the request),
   * 'lose' reads, records and processes it (respond), then destroys the connection instead of
   * answering (the answer is lost).
   */
  onReused: (n: number) => 'serve' | 'reset' | 'lose';
  resets: number;
  of(id: string): SignedDelivery[];
  close(): Promise<void>;
}

export async function startSigningReceiver(respond: SigningReceiver['respond'] = () => 204): Promise<SigningReceiver> {
  const receiver = { deliveries: [], respond, onReused: () => 'serve', resets: 0 } as unknown as SigningReceiver;
  const served = new WeakMap<Socket, number>();
  let reused = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const onSocket = served.get(req.socket) ?? 0;
    served.set(req.socket, onSocket + 1);
    const mode = onSocket > 0 ? receiver.onReused(reused++) : 'serve';
    if (mode === 'reset') {
      receiver.resets++;
      return void req.socket.destroy();
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const raw = Buffer.concat(chunks);
    let id = '';
    try {
      id = JSON.parse(raw.toString('utf8')).id;
    } catch {
      // recorded with an empty id: the test sees it
    }
    const delivery: SignedDelivery = { headers: req.headers, raw, webhookId: String(req.headers['webhook-id']), id, at: Date.now(), onSocket };
    receiver.deliveries.push(delivery);
    const answer = await receiver.respond(delivery);
    if (mode === 'lose') {
      receiver.resets++;
      return void req.socket.destroy();
    }
    if (answer === 'drop') return void req.socket.destroy();
    if (req.socket.destroyed) return;
    const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.of = (id) => receiver.deliveries.filter((d) => d.id === id);
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Verifies a delivery as a receiver does: throws WebhookVerificationError unless `secret` signed it. */
export function verify(secret: string, delivery: Pick<SignedDelivery, 'headers' | 'raw'>): unknown {
  return new Webhook(secret).verify(delivery.raw, delivery.headers as Record<string, string>);
}

/** Whether `secret` signed it. */
export function verifies(secret: string, delivery: Pick<SignedDelivery, 'headers' | 'raw'>): boolean {
  try {
    verify(secret, delivery);
    return true;
  } catch {
    return false;
  }
}

// A real webhook receiver for the notification tests: a node:http server whose
// answer to each delivery the test decides, and which records every delivery.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  id: string;
  subject: string;
  body: string;
  /** Attempt number of this id at this receiver, from 1. */
  attempt: number;
  /** Date.now() when the request arrived. */
  at: number;
}

/** The status to answer with, or 'drop' to destroy the connection without an answer. */
export type Answer = number | 'drop';

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Ids answered 2xx, in order, duplicates kept. */
  succeeded: string[];
  /** Decides each answer; may wait (to hold a request open). Replace it at will. */
  respond: (delivery: Delivery) => Answer | Promise<Answer>;
  attemptsOf(id: string): Delivery[];
  close(): Promise<void>;
}

export async function startReceiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const attempts = new Map<string, number>();
  const receiver = { deliveries: [], succeeded: [], respond } as unknown as Receiver;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let payload: { id: string; subject: string; body: string };
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // A request cut off mid-body (the worker timed out, or a fault test cut it): no delivery happened.
      if (!req.socket.destroyed) res.writeHead(400).end();
      return;
    }
    const attempt = (attempts.get(payload.id) ?? 0) + 1;
    attempts.set(payload.id, attempt);
    const delivery: Delivery = { ...payload, attempt, at: Date.now() };
    receiver.deliveries.push(delivery);
    const answer = await receiver.respond(delivery);
    if (answer === 'drop') return void req.socket.destroy();
    if (req.socket.destroyed) return; // the worker gave up waiting (timeout) or died
    if (answer >= 200 && answer < 300) receiver.succeeded.push(payload.id);
    res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.attemptsOf = (id) => receiver.deliveries.filter((d) => d.id === id);
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A graphql-ws connection spoken by hand, so tests can send what no client library would
// (oversized frames, bad tokens, too many subscriptions) and see exactly what comes back.
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  messages: { type: string; id?: string; payload?: any }[];
  /** Resolves with the close code and reason once the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits for the first message (from now on or already received) that matches. */
  message(match: (m: { type: string; id?: string; payload?: any }) => boolean, ms?: number): Promise<{ type: string; id?: string; payload?: any }>;
  send(message: unknown): void;
}

export async function openRaw(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const messages: RawSocket['messages'] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of waiters) wake();
    }),
  );
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    message: (match, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`socket closed; messages: ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message; got ${JSON.stringify(messages)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

/** Opens a socket and completes connection_init with the token; resolves once acknowledged. */
export async function connectAs(url: string, bearer: string | null): Promise<RawSocket> {
  const socket = await openRaw(url);
  socket.send({ type: 'connection_init', payload: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  await socket.message((m) => m.type === 'connection_ack');
  return socket;
}

export const failureWindow = (id: string, since: string) => ({
  id,
  type: 'subscribe',
  payload: { query: 'subscription($s: String!) { failureCount(since: $s) { since count } }', variables: { s: since } },
});

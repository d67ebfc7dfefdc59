// The load process of bench/subscriptions.ts: opens `connections` graphql-ws
// sockets with `perConnection` failure-badge subscriptions each, speaking the
// protocol directly to stay light, and records when each badge value arrives.
// Reports to the parent over IPC.
import WebSocket from 'ws';

interface Start {
  url: string;
  token: string;
  connections: number;
  perConnection: number;
}

const BADGES = [
  'subscription { failureCount(since: "1h") { count } }',
  'subscription { failureCount(since: "15m") { count } }',
  'subscription { failureCount(since: "24h") { count } }',
  'subscription { failureCount(since: "7d") { count } }',
  'subscription { failureCount(since: "1h", kind: TRAFFIC) { count } }',
];

// Per badge: the value first seen, and per later value the last arrival time and how many arrived.
const initial = new Map<string, number>(); // `${socket}:${sub}` → first count
const arrivals = new Map<number, { last: number; n: number }>(); // change index → last arrival, count
let ready = 0;
let errors = 0;
let firstError: string | null = null;
const fail = (what: string) => {
  errors++;
  firstError ??= what;
};
const sockets: WebSocket[] = [];

function open(start: Start, index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(start.url, 'graphql-transport-ws');
    sockets.push(ws);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${start.token}` } })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        for (let s = 0; s < start.perConnection; s++) {
          ws.send(JSON.stringify({ id: String(s), type: 'subscribe', payload: { query: BADGES[s % BADGES.length] } }));
        }
        resolve();
      } else if (message.type === 'next') {
        const count = message.payload?.data?.failureCount?.count;
        if (typeof count !== 'number') {
          fail(String(data));
          return;
        }
        const key = `${index}:${message.id}`;
        const first = initial.get(key);
        if (first === undefined) {
          initial.set(key, count);
          ready++;
          return;
        }
        const change = count - first;
        const seen = arrivals.get(change) ?? { last: 0, n: 0 };
        seen.last = Math.max(seen.last, Date.now());
        seen.n++;
        arrivals.set(change, seen);
      } else if (message.type === 'error') {
        fail(String(data));
      }
    });
    ws.on('error', (error) => {
      fail(String(error));
      resolve();
    });
  });
}

process.on('message', async (message: { type: string } & Partial<Start>) => {
  if (message.type === 'start') {
    const start = message as Start;
    // Open in batches so the server's accept queue is not flooded.
    for (let i = 0; i < start.connections; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, start.connections - i) }, (_, j) => open(start, i + j)));
    }
    while (ready + errors < start.connections * start.perConnection) await new Promise((r) => setTimeout(r, 50));
    process.send!({ type: 'ready', ready, errors, firstError });
  } else if (message.type === 'report') {
    process.send!({ type: 'report', arrivals: [...arrivals.entries()], errors });
    arrivals.clear();
  } else if (message.type === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});

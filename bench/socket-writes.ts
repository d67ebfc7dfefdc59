// The CPU of one live-badge pass's writing, in one process and one run:
// src/live/socket-writes.ts (frames built by hand into one buffer per socket,
// one write) against letting ws frame them (the socket corked for the pass,
// ws.send per message, uncorked once: issue 18's proposal), alternating, on the
// same N loopback WebSocket connections with K messages each. Less sensitive
// to a loaded machine than the latency of bench/subscriptions.ts: it times
// only the synchronous write of a pass (process CPU time), write calls included.
//
//   npx tsx bench/socket-writes.ts
//   SHAPES=9000x1,9000x5 REPS=30 npx tsx bench/socket-writes.ts
// (client and server sockets share one process: 2 × N descriptors must fit in ulimit -n)
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadavg } from 'node:os';
import WebSocket, { WebSocketServer } from 'ws';
import { LiveSocket, nextMessagePrefix, SocketWrites } from '../src/live/socket-writes.js';

const TEXT = { binary: false };
/** The library way: each socket corked on its first message of the pass, ws.send per message, uncorked at the end. */
function corkedPass(connections: [WebSocket, Socket][], prefixes: Buffer[], bodies: Buffer[]): void {
  const corked: Socket[] = [];
  for (const [ws, socket] of connections) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    socket.cork();
    corked.push(socket);
    prefixes.forEach((prefix, i) => ws.send(Buffer.concat([prefix, bodies[i]!]), TEXT));
  }
  for (const socket of corked) socket.uncork();
}

const shapes = (process.env.SHAPES ?? '9000x1,9000x5').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const REPS = Number(process.env.REPS ?? 30);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
const accepted: [WebSocket, Socket][] = [];
wss.on('connection', (ws, request) => accepted.push([ws, request.socket]));
let received = 0;
const clients: WebSocket[] = [];
const loadAtStart = loadavg();

for (const [n, k] of shapes) {
  while (clients.length < n) {
    const client = new WebSocket(url, { perMessageDeflate: false });
    client.on('message', () => received++);
    clients.push(client);
    await new Promise((resolve) => client.once('open', resolve));
  }
  while (accepted.length < n) await new Promise((resolve) => setTimeout(resolve, 10));
  const connections = accepted.slice(0, n);
  const prefixes = Array.from({ length: k }, (_, i) => nextMessagePrefix(String(i)));
  const live = connections.map(([ws, socket]) => new LiveSocket(ws, socket));
  const writes = new SocketWrites();
  const passes = {
    ws: (bodies: Buffer[]) => corkedPass(connections, prefixes, bodies),
    hand: (bodies: Buffer[]) => {
      writes.hold();
      for (const socket of live) for (let i = 0; i < k; i++) writes.write(socket, prefixes[i]!, bodies[i]!);
      writes.release();
    },
  };
  const times = { ws: [] as number[], hand: [] as number[] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of rep % 2 ? (['ws', 'hand'] as const) : (['hand', 'ws'] as const)) {
      const bodies = prefixes.map((_, i) => Buffer.from(`${JSON.stringify({ data: { failureCount: { count: rep * k + i } } })}}`));
      const expected = received + n * k;
      const started = process.cpuUsage();
      passes[name](bodies);
      times[name].push(cpuMs(started));
      // Every client has read the pass before the next one starts.
      while (received < expected) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const ratios = times.ws.map((t, i) => t / times.hand[i]!);
  console.log(
    `${n}×${k}: CPU per pass, median of ${REPS}: ws.send, corked ${median(times.ws).toFixed(1)} ms; hand-built frames (src/live/socket-writes.ts) ${median(times.hand).toFixed(1)} ms; ` +
      `ratio ${(median(times.ws) / median(times.hand)).toFixed(2)}× (per-pair ratios: median ${median(ratios).toFixed(2)}, ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
console.log(`load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
for (const client of clients) client.terminate();
server.close();
process.exit(0);

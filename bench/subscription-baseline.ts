// The baselines bench/subscriptions.ts measures opsgraph against, in the same
// run and under the same load process, with no database at all. A change is
// published by `POST /publish`; the badge is `failureCount { count }`.
//
//   BASELINE=graphql-ws  a bare graphql-ws server whose subscription is an
//                        in-memory stream, executed and serialised once per
//                        subscriber (what a plain GraphQL server does)
//   BASELINE=frames      no GraphQL: the payload serialised once, the frames
//                        built by hand (RFC 6455 headers) into one buffer per
//                        socket, one write per socket: the floor of any server
//                        on this machine. (opsgraph wrote its badges this way
//                        until issue 18; it now lets ws frame them.)
import { createServer } from 'node:http';
import { buildSchema } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { nextMessagePrefix } from '../src/live/socket-writes.js';

/** Writes the header of an unmasked, unfragmented text frame (RFC 6455 §5.2), as a server sends; returns its length. */
function writeHead(out: Buffer, at: number, length: number): number {
  out[at] = 0x81; // FIN, text
  if (length < 126) {
    out[at + 1] = length;
    return 2;
  }
  if (length < 65_536) {
    out[at + 1] = 126;
    out.writeUInt16BE(length, at + 2);
    return 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(length), at + 2);
  return 10;
}

/** The frames of one socket's messages, in one buffer, in one write. */
function writeFrames(ws: WebSocket, socket: Socket, messages: [Buffer, Buffer][]): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  let bytes = 0;
  for (const [prefix, body] of messages) {
    const length = prefix.length + body.length;
    bytes += (length < 126 ? 2 : length < 65_536 ? 4 : 10) + length;
  }
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const [prefix, body] of messages) {
    at += writeHead(out, at, prefix.length + body.length);
    at += prefix.copy(out, at);
    at += body.copy(out, at);
  }
  socket.write(out);
}

let count = 0;
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    count++;
    publish();
    res.end('ok');
  } else res.end('ready');
});
const wsServer = new WebSocketServer({ server, path: '/graphql', perMessageDeflate: false });
let publish: () => void;

if (process.env.BASELINE === 'graphql-ws') {
  const listeners = new Set<() => void>();
  publish = () => listeners.forEach((listener) => listener());
  const schema = buildSchema(`
    enum OrchestratorKind { TRAFFIC FILE EMAIL }
    type FailureCount { count: Int! }
    type Query { ok: Boolean }
    type Subscription { failureCount(since: String, kind: OrchestratorKind): FailureCount! }
  `);
  const rootValue = {
    failureCount: () =>
      new Repeater<{ failureCount: { count: number } }>(async (push, stop) => {
        const send = () => void push({ failureCount: { count } });
        send();
        listeners.add(send);
        await stop;
        listeners.delete(send);
      }),
  };
  useServer({ schema, roots: { subscription: rootValue } }, wsServer);
} else {
  // Per connection, the prefixes of its subscriptions: each publish writes each socket once.
  const connections = new Map<WebSocket, { socket: Socket; prefixes: Buffer[] }>();
  const body = () => Buffer.from(`${JSON.stringify({ data: { failureCount: { count } } })}}`);
  publish = () => {
    const payload = body();
    for (const [ws, { socket, prefixes }] of connections) writeFrames(ws, socket, prefixes.map((prefix) => [prefix, payload]));
  };
  wsServer.on('connection', (ws, request) => {
    const connection = { socket: request.socket, prefixes: [] as Buffer[] };
    connections.set(ws, connection);
    ws.once('close', () => connections.delete(ws));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
      else if (message.type === 'subscribe') {
        const prefix = nextMessagePrefix(message.id);
        connection.prefixes.push(prefix);
        writeFrames(ws, connection.socket, [[prefix, body()]]);
      }
    });
  });
}

server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

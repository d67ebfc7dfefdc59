// The baselines bench/subscriptions.ts measures opsgraph against, in the same
// run and under the same load process, with no database at all. A change is
// published by `POST /publish`; the badge is `failureCount { count }`.
//
//   BASELINE=graphql-ws  a bare graphql-ws server whose subscription is an
//                        in-memory stream, executed and serialised once per
//                        subscriber (what a plain GraphQL server does)
//   BASELINE=frames      no GraphQL: the payload serialised once and written
//                        with opsgraph's frame writer, one write per socket
//                        (the floor of any server on this machine)
import { createServer } from 'node:http';
import { buildSchema } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { LiveSocket, nextMessagePrefix, SocketWrites } from '../src/live/socket-writes.js';

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
  const sinks = new Set<{ socket: LiveSocket; prefix: Buffer }>();
  const writes = new SocketWrites();
  const body = () => Buffer.from(`${JSON.stringify({ data: { failureCount: { count } } })}}`);
  publish = () => {
    const payload = body();
    writes.hold();
    for (const sink of sinks) writes.write(sink.socket, sink.prefix, payload);
    writes.release();
  };
  wsServer.on('connection', (ws, request) => {
    const socket = new LiveSocket(ws, request.socket);
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
      else if (message.type === 'subscribe') {
        const sink = { socket, prefix: nextMessagePrefix(message.id) };
        sinks.add(sink);
        ws.once('close', () => sinks.delete(sink));
        writes.write(socket, sink.prefix, body());
      }
    });
  });
}

server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { LiveSocket, nextMessagePrefix, SocketWrites } from '../src/live/socket-writes.js';
import { metricValue, settle, token, until, useTestApp } from './helpers.js';

// Live badges over graphql-ws skip the per-subscriber iterators: one group per
// (badge, arguments, document, roles) executes and serialises each change
// once, and writes ready-made frames to every socket. These tests speak the
// protocol with a raw socket, to see exactly which frames arrive.

const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const sockets: WebSocket[] = [];
afterAll(() => sockets.forEach((ws) => ws.terminate()));

interface Raw {
  ws: WebSocket;
  /** Every message received, parsed, in order, with the number of the TCP read that carried it. */
  messages: any[];
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  complete(id: string): void;
  nexts(id: string): any[];
}

async function raw(role: Parameters<typeof token>[0] = 'VIEWER'): Promise<Raw> {
  const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
  sockets.push(ws);
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await token(role)}` } }));
  await until(() => messages.some((m) => m.type === 'connection_ack'));
  return {
    ws,
    messages,
    subscribe: (id, query, variables) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    complete: (id) => ws.send(JSON.stringify({ id, type: 'complete' })),
    nexts: (id) => messages.filter((m) => m.type === 'next' && m.id === id).map((m) => m.payload),
  };
}

const metric = (name: string) => metricValue(t.url, name);

const fail = (kind = 'TRAFFIC') => t.sql`insert into orchestrator_events (kind, success, occurred_at) values (${kind}, false, now())`;

describe('live badge fan-out over graphql-ws', () => {
  it('gives five badges on one socket, under client-chosen ids, each its own value', async () => {
    const c = await raw();
    const queries = {
      [randomUUID()]: ['subscription { failureCount(since: "1h") { count } }'],
      [randomUUID()]: ['subscription W($s: String!) { failureCount(since: $s, kind: FILE) { count } }', { s: '15m' }],
      [randomUUID()]: ['subscription { deadLetterCount }'],
      [randomUUID()]: ['subscription { dashboard { failureCount { count } deadLetterCount jobsRunning } }'],
      'a "quoted" id': ['subscription { scanStats { total } }'],
    } as Record<string, [string, Record<string, unknown>?]>;
    for (const [id, [query, variables]] of Object.entries(queries)) c.subscribe(id, query, variables);
    const ids = Object.keys(queries);
    await until(() => ids.every((id) => c.nexts(id).length === 1));
    const [all, file, dead, dash, scans] = ids;
    expect(c.nexts(all!)[0]).toEqual({ data: { failureCount: { count: 0 } } });
    expect(c.nexts(dead!)[0]).toEqual({ data: { deadLetterCount: 0 } });
    expect(c.nexts(scans!)[0]).toEqual({ data: { scanStats: { total: 0 } } });

    await fail('FILE');
    await until(() => c.nexts(all!).length === 2 && c.nexts(file!).length === 2 && c.nexts(dash!).length === 2);
    expect(c.nexts(all!)[1]).toEqual({ data: { failureCount: { count: 1 } } });
    expect(c.nexts(file!)[1]).toEqual({ data: { failureCount: { count: 1 } } });
    expect(c.nexts(dash!)[1]).toEqual({ data: { dashboard: { failureCount: { count: 1 }, deadLetterCount: 0, jobsRunning: 0 } } });
    await fail('TRAFFIC');
    await until(() => c.nexts(all!).length === 3);
    await settle();
    // The FILE badge did not move, so it was not sent again; neither were the badges a failure cannot move.
    expect(c.nexts(file!)).toHaveLength(2);
    expect(c.nexts(dead!)).toHaveLength(1);
    expect(c.nexts(scans!)).toHaveLength(1);
    expect(c.messages.filter((m) => m.type !== 'next' && m.type !== 'connection_ack')).toEqual([]);
    // Each pass that changed a badge is timed, recompute to last socket written.
    expect(await metric('opsgraph_live_pass_seconds_count')).toBeGreaterThanOrEqual(3);
    c.ws.close();
    await until(() => c.ws.readyState === WebSocket.CLOSED);
  });

  it('shares one group among sockets asking the same thing, and separates documents, arguments and roles', async () => {
    await until(async () => (await metric('opsgraph_live_groups')) === 0);
    const viewers = await Promise.all(Array.from({ length: 20 }, () => raw()));
    viewers.forEach((c, i) => c.subscribe(String(i), 'subscription { failureCount(since: "1h") { count } }'));
    await until(() => viewers.every((c) => c.nexts(String(viewers.indexOf(c))).length === 1));
    expect(await metric('opsgraph_live_groups')).toBe(1);
    expect(await metric('opsgraph_live_subscriptions{badge="failureCount"}')).toBe(20);

    const other = await raw('ADMIN');
    other.subscribe('x', 'subscription { failureCount(since: "1h") { count } }'); // another role
    other.subscribe('y', 'subscription { failureCount(since: "2h") { count } }'); // other arguments
    other.subscribe('z', 'subscription { failureCount(since: "1h") { count asOf } }'); // another document
    await until(() => ['x', 'y', 'z'].every((id) => other.nexts(id).length === 1));
    expect(await metric('opsgraph_live_groups')).toBe(4);

    const before = viewers.map((c, i) => c.nexts(String(i)).length);
    await fail();
    await until(() => viewers.every((c, i) => c.nexts(String(i)).length === before[i]! + 1) && other.nexts('z').length === 2);
    const counts = new Set(viewers.map((c, i) => c.nexts(String(i)).at(-1).data.failureCount.count));
    expect(counts.size).toBe(1);

    for (const c of [...viewers, other]) c.ws.close();
    await until(async () => (await metric('opsgraph_live_groups')) === 0);
  });

  it('stops writing to a subscription the client completed, and leaves the group when the last one goes', async () => {
    const c = await raw();
    c.subscribe('a', 'subscription { failureCount(since: "1h") { count } }');
    c.subscribe('b', 'subscription { failureCount(since: "1h") { count } }');
    await until(() => c.nexts('a').length === 1 && c.nexts('b').length === 1);
    c.complete('a');
    await settle(100);
    await fail();
    await until(() => c.nexts('b').length === 2);
    await settle();
    expect(c.nexts('a')).toHaveLength(1);
    c.complete('b');
    await settle(100);
    expect(await metric('opsgraph_live_groups')).toBe(0);
    await fail();
    await settle();
    expect(c.nexts('b')).toHaveLength(2);
    // The socket is still usable: the same id may subscribe again and gets the current value.
    c.subscribe('a', 'subscription { failureCount(since: "1h") { count } }');
    await until(() => c.nexts('a').length === 2);
    expect(c.nexts('a')[1].data.failureCount.count).toBe(c.nexts('b')[1].data.failureCount.count + 1);
    c.ws.close();
  });

  it('refuses on this path as on any other: a bad window, a role too low, with no data', async () => {
    const c = await raw();
    c.subscribe('bad', 'subscription { failureCount(since: "8d") { count } }');
    await until(() => c.messages.some((m) => m.id === 'bad' && m.type === 'complete'));
    const [payload] = c.nexts('bad');
    expect(payload.data).toBeFalsy();
    expect(payload.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    c.ws.close();
  });
});

describe('SocketWrites', () => {
  let server: Server;
  afterAll(() => server?.close());

  it('writes frames that a WebSocket client reads back exactly, at every length boundary and between ws’s own messages', async () => {
    server = createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<[WebSocket, import('node:net').Socket]>((resolve) => wss.on('connection', (ws, req) => resolve([ws, req.socket])));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    sockets.push(client);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const [ws, socket] = await connected;
    const live = new LiveSocket(ws, socket);
    const writes = new SocketWrites();

    const sizes = [0, 1, 50, 124, 125, 126, 127, 65_534, 65_535, 65_536, 200_000];
    const prefix = nextMessagePrefix('7');
    const expected: string[] = [];
    ws.send('before');
    expected.push('before');
    await until(() => received.length === 1);
    // Count the socket's writes (each _write or _writev is one write system call's worth).
    let socketWrites = 0;
    const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const original = internals[name]!.bind(socket);
      internals[name] = (...args) => (socketWrites++, original(...args));
    }
    writes.hold();
    for (const size of sizes) {
      // prefix + body = one `next` message whose payload is a string of `size` characters, minus the framing.
      const body = Buffer.from(`${JSON.stringify('é'.repeat(size))}}`);
      writes.write(live, prefix, body);
      expected.push(`${prefix}${body}`);
    }
    ws.send('after'); // ws writes at once, held writes when released: ws's message comes first
    expected.splice(1, 0, 'after');
    expect(socketWrites).toBe(1); // ws's message
    writes.release();
    expect(socketWrites).toBe(2); // and the eleven frames of the pass, in one write
    writes.write(live, prefix, Buffer.from('1}')); // outside a pass: at once
    expected.push(`${prefix}1}`);
    await until(() => received.length === expected.length);
    expect(received).toEqual(expected);
    expect(JSON.parse(received.at(-1)!)).toMatchObject({ id: '7', type: 'next' });

    client.close();
    await until(() => ws.readyState === WebSocket.CLOSED);
    writes.write(live, prefix, Buffer.from('null}')); // a closed socket is skipped, not written
  });
});

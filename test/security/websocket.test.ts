// THREAT: exhausting the server over graphql-ws. Frames up to 100 MiB were
// parsed, even before connection_init (four anonymous 99 MiB frames took the
// server to about 1 GB); one socket held 2 000 subscriptions; 2 000 distinct
// failureCount windows made 2 000 recomputes per failure write; nothing bounded
// the sockets of one caller. A bad token at connection_init was acknowledged.
// DEFENCE: ws's maxPayload closes the socket (1009) on an oversized frame before
// it is parsed; a subscription beyond the per-connection cap gets a graphql-ws
// `error` (TOO_MANY_SUBSCRIPTIONS); a new distinct live badge beyond the
// instance's cap gets one too (TOO_MANY_LIVE_GROUPS); a caller's connection
// beyond its cap is closed with 1013; a bad or expired token at connection_init
// closes the socket with 4403 at once. Every refusal is counted in /metrics
// (opsgraph_ws_refusals_total{limit}), every limit shown (opsgraph_ws_limit{limit}).
// SETTING: WS_MAX_PAYLOAD (64 kB), WS_MAX_SUBSCRIPTIONS (100),
// LIVE_MAX_GROUPS (1000), WS_MAX_CONNECTIONS_PER_CALLER (1000).
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, TEST_SECRET, token, until, useTestApp } from '../helpers.js';
import { connectAs, failureWindow, openRaw, type RawSocket } from './raw-ws.js';

const defaults = useTestApp();
const tight = useTestApp({ WS_MAX_SUBSCRIPTIONS: '3', LIVE_MAX_GROUPS: '4', WS_MAX_CONNECTIONS_PER_CALLER: '2', WS_MAX_PAYLOAD: '2048' });

const sockets: RawSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    socket.ws.close();
    await socket.closed;
  }
});
const track = (socket: RawSocket) => (sockets.push(socket), socket);
const refusals = (url: string, limit: string) => metricValue(url, `opsgraph_ws_refusals_total{limit="${limit}"}`);

describe('frame size (WS_MAX_PAYLOAD)', () => {
  it('closes the socket with 1009 on a frame over 64 kB by default, even before connection_init, and counts it', async () => {
    const before = await refusals(defaults.url, 'payload');
    const socket = track(await openRaw(defaults.wsUrl));
    socket.send('x'.repeat(65_537));
    expect((await socket.closed).code).toBe(1009);
    expect(await refusals(defaults.url, 'payload')).toBe(before + 1);
  });

  it('takes frames up to the limit, and follows the setting', async () => {
    const socket = track(await openRaw(defaults.wsUrl));
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await token('VIEWER')}`, padding: 'p'.repeat(60_000) } });
    await socket.message((m) => m.type === 'connection_ack');
    // (The registry is per process, so the gauge shows the last server's setting.)
    expect(await metricValue(tight.url, 'opsgraph_ws_limit{limit="payload"}')).toBe(2048);
    const small = track(await openRaw(tight.wsUrl));
    small.send({ type: 'connection_init', payload: { padding: 'p'.repeat(3_000) } });
    expect((await small.closed).code).toBe(1009);
  });
});

describe('subscriptions per connection (WS_MAX_SUBSCRIPTIONS)', () => {
  it('refuses the subscription over the cap with a graphql-ws error, keeps the others, and frees the slot on complete', async () => {
    const before = await refusals(tight.url, 'subscriptions');
    const socket = track(await connectAs(tight.wsUrl, await token('VIEWER', 'subs-sam')));
    for (const id of ['a', 'b', 'c']) socket.send(failureWindow(id, '1h'));
    for (const id of ['a', 'b', 'c']) await socket.message((m) => m.id === id && m.type === 'next');
    socket.send(failureWindow('d', '1h'));
    const refused = await socket.message((m) => m.id === 'd');
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(refused.payload[0].message).toMatch(/WS_MAX_SUBSCRIPTIONS/);
    expect(await refusals(tight.url, 'subscriptions')).toBe(before + 1);
    // The socket and its three subscriptions live on; completing one frees its slot.
    socket.send({ id: 'a', type: 'complete' });
    await until(async () => (await metricValue(tight.url, 'opsgraph_live_subscriptions{badge="failureCount"}')) <= 2);
    socket.send(failureWindow('e', '1h'));
    expect((await socket.message((m) => m.id === 'e')).type).toBe('next');
  });
});

describe('distinct live badges per instance (LIVE_MAX_GROUPS)', () => {
  it('refuses a new distinct badge beyond the cap, while a badge others already watch still joins', async () => {
    const before = await refusals(tight.url, 'live_groups');
    const one = track(await connectAs(tight.wsUrl, await token('VIEWER', 'groups-1')));
    const two = track(await connectAs(tight.wsUrl, await token('VIEWER', 'groups-2')));
    one.send(failureWindow('w1', '1m'));
    one.send(failureWindow('w2', '2m'));
    one.send(failureWindow('w3', '3m'));
    two.send(failureWindow('w4', '4m'));
    for (const [socket, id] of [[one, 'w1'], [one, 'w2'], [one, 'w3'], [two, 'w4']] as const) {
      expect((await socket.message((m) => m.id === id)).type).toBe('next');
    }
    expect(await metricValue(tight.url, 'opsgraph_live_groups')).toBe(4);
    two.send(failureWindow('w5', '5m'));
    const refused = await two.message((m) => m.id === 'w5');
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_LIVE_GROUPS');
    expect(await refusals(tight.url, 'live_groups')).toBe(before + 1);
    two.send(failureWindow('w6', '1m'));
    expect((await two.message((m) => m.id === 'w6')).type).toBe('next');

    // The cap is the instance's: SSE subscriptions meet it too.
    const sse = async (since: string) => {
      const controller = new AbortController();
      const res = await fetch(tight.url, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('VIEWER')}` },
        body: JSON.stringify({ query: `subscription { failureCount(since: "${since}") { count } }` }),
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!/event: next/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      return text;
    };
    expect(await sse('6m')).toMatch(/TOO_MANY_LIVE_GROUPS/);
    expect(await sse('2m')).toMatch(/"count":\d+/);
    expect(await refusals(tight.url, 'live_groups')).toBe(before + 2);
  });
});

describe('connections per caller (WS_MAX_CONNECTIONS_PER_CALLER)', () => {
  it('closes a caller\'s connection over the cap with 1013, leaves other callers alone, and frees the slot on close', async () => {
    const before = await refusals(tight.url, 'connections_per_caller');
    const bearer = await token('VIEWER', 'many-sockets');
    const first = track(await connectAs(tight.wsUrl, bearer));
    track(await connectAs(tight.wsUrl, bearer));
    const third = track(await openRaw(tight.wsUrl));
    third.send({ type: 'connection_init', payload: { authorization: `Bearer ${bearer}` } });
    expect((await third.closed).code).toBe(1013);
    expect(third.messages).toEqual([]);
    expect(await refusals(tight.url, 'connections_per_caller')).toBe(before + 1);
    track(await connectAs(tight.wsUrl, await token('VIEWER', 'someone-else')));
    first.ws.close();
    await first.closed;
    await until(async () => {
      const again = await openRaw(tight.wsUrl);
      again.send({ type: 'connection_init', payload: { authorization: `Bearer ${bearer}` } });
      const acked = await Promise.race([again.message((m) => m.type === 'connection_ack').then(() => true), again.closed.then(() => false)]).catch(() => false);
      track(again);
      return acked;
    });
  });
});

describe('tokens at connection_init', () => {
  it('closes with 4403 at once for a bad, an expired or an unbounded token, without acknowledging', async () => {
    const expired = await new SignJWT({ roles: ['viewer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('late')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET));
    const forever = await new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('forever').setIssuedAt().sign(new TextEncoder().encode(TEST_SECRET));
    const before = await refusals(defaults.url, 'token');
    for (const authorization of ['Bearer not-a-token', `Bearer ${expired}`, `Bearer ${forever}`, 'Basic abc', 42]) {
      const socket = track(await openRaw(defaults.wsUrl));
      const started = Date.now();
      socket.send({ type: 'connection_init', payload: { authorization } });
      const { code } = await socket.closed;
      expect(code, String(authorization)).toBe(4403);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(socket.messages).toEqual([]);
    }
    expect(await refusals(defaults.url, 'token')).toBe(before + 5);
    // No token at all is still a connection (public fields need none).
    track(await connectAs(defaults.wsUrl, null));
  });
});

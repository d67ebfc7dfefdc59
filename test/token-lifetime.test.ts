// Tokens as users hold them: the 30-day one `npm start` prints, and longer ones
// (`npm run token -- --ttl 10y`-style), past Node's 2^31-1 ms timer limit.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../src/timers.js';
import { settle, token, until, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

// A deployment that allows tokens of up to ten years (JWT_MAX_LIFETIME; the default, 30 days, refuses them).
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms', JWT_MAX_LIFETIME: '3651d' });
const DAY = 86_400;

const expOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).exp * 1000;

describe('setLongTimeout', () => {
  afterEach(() => vi.useRealTimers());

  it('waits past 2^31-1 ms by re-arming, and fires once at the due time', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 30 * DAY * 1000);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY * 1000 - MAX_TIMER_MS - 1001);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cleared while re-arming', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const timer = setLongTimeout(fired, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    timer.clear();
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});

describe.each([
  ['30 days (the token npm start prints)', 30 * DAY],
  ['10 years', 3650 * DAY],
])('a graphql-ws connection with a token valid for %s', (_, ttl) => {
  it('stays open and keeps pushing values', async () => {
    const jwt = await token('VIEWER', 'long-lived', ttl);
    let closed: number | null = null;
    const client = wsClient(t.wsUrl, jwt, { lazy: false, on: { closed: (event) => (closed = (event as CloseEvent).code) } });
    const values: number[] = [];
    const unsubscribe = client.subscribe<{ deadLetterCount: number }>(
      { query: 'subscription { deadLetterCount }' },
      { next: (r) => values.push(r.data!.deadLetterCount), error: () => {}, complete: () => {} },
    );
    await until(() => values.length === 1);
    await settle(1500);
    expect(closed).toBeNull();
    const before = values.at(-1)!;
    await t.sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', 's', 'b', 'DEAD')`;
    await until(() => values.at(-1) === before + 1);
    expect(closed).toBeNull();
    unsubscribe();
    await client.dispose();
  });
});

describe('subscriptions over SSE and token expiry', () => {
  const sse = (jwt: string) =>
    fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ query: 'subscription { deadLetterCount }' }),
    });

  it('end within a second of the token expiring, with an UNAUTHENTICATED last event', async () => {
    const jwt = await token('VIEWER', 'brief', 2);
    const res = await sse(jwt);
    const text = await res.text(); // resolves only when the server ends the stream
    const endedAt = Date.now();
    expect(endedAt - expOf(jwt)).toBeLessThan(1000);
    expect(endedAt).toBeGreaterThanOrEqual(expOf(jwt) - 50);
    expect(text).toContain('"deadLetterCount"');
    expect(text).toMatch(/The token has expired.*UNAUTHENTICATED/);
    expect(text).toContain('event: complete');
  });

  it('stay open with a 30-day token', async () => {
    const res = await sse(await token('VIEWER', 'long-lived', 30 * DAY));
    const reader = res.body!.getReader();
    let text = '';
    let ended = false;
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return void (ended = true);
        text += new TextDecoder().decode(value);
      }
    })();
    await settle(1500);
    expect(ended).toBe(false);
    expect(text).toContain('"deadLetterCount"');
    expect(text).not.toContain('UNAUTHENTICATED');
    await reader.cancel();
    await reading.catch(() => {});
  });
});

import { describe, expect, it } from 'vitest';
import { token, useTestApp } from './helpers.js';

const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });

/** Reads `next` events from a GraphQL over SSE response until `count` have arrived. */
async function readEvents(res: Response, count: number): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data:'));
      if (block.includes('event: next') && data) events.push(JSON.parse(data.slice(5)));
    }
  }
  await reader.cancel();
  return events;
}

describe('subscriptions over SSE', () => {
  it('streams the current value and then each change', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('VIEWER')}` },
      body: JSON.stringify({ query: 'subscription { deadLetterCount }' }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = readEvents(res, 2);
    await new Promise((r) => setTimeout(r, 300));
    await t.sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', 's', 'b', 'DEAD')`;
    expect(await events).toEqual([{ data: { deadLetterCount: 0 } }, { data: { deadLetterCount: 1 } }]);
  });

  it('refuses an unauthenticated SSE subscription', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { deadLetterCount }' }),
    });
    const text = await res.text();
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).not.toMatch(/"data":\{"deadLetterCount"/);
  });
});

// The background loops (notification worker, reaper) are woken from requests; their sweeps must
// still run in the loop's own async context, or tracing puts all later polling in that request's trace.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { startLoop } from '../src/loop.js';

describe('startLoop', () => {
  it('runs a sweep woken inside a request context, and every sweep after it, outside that context', async () => {
    const request = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const sweeps = (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve }));
    const loop = startLoop('test', 5, async () => {
      seen.push(request.getStore());
      for (const waiter of waiters) if (seen.length >= waiter.count) waiter.resolve();
    }, (error) => { throw error; });
    await sweeps(1); // the start-up sweep
    await new Promise((resolve) => setImmediate(resolve)); // it has ended: the wake starts a sweep at once
    request.run('mutation Send', () => loop.wake());
    await sweeps(5);
    await loop.stop();
    expect(seen.filter((store) => store !== undefined)).toEqual([]);
  });
});

// An agent that subscribes to killSignals (without after) while the kill feed's
// read waits through an outage, rather than failing, must still get every
// signal requested after it subscribed (src/live/kill-feed.ts: late
// subscribers). The feed reads through a TCP proxy that holds its bytes, as a
// paused database or a reconnecting pool would; the signal is committed by
// the API meanwhile, on connections the proxy does not touch.
import net, { type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../src/db/client.js';
import { KillFeed } from '../src/live/kill-feed.js';
import type { PgEventTarget } from '../src/live/pg-event-target.js';
import { createLogger } from '../src/logger.js';
import { settle, useTestApp } from './helpers.js';

const t = useTestApp();

/** Forwards to PostgreSQL; while held, what the clients send waits in the proxy (no error, no reset). */
async function holdingProxy(target: number) {
  let held = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => (held ? waiting.push(() => upstream.write(chunk)) : upstream.write(chunk)));
    upstream.on('data', (chunk) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold: () => void (held = true),
    release: () => {
      held = false;
      for (const send of waiting.splice(0)) send();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the kill feed during an outage that stalls rather than fails', () => {
  it('gives a subscriber that arrived before a signal that signal, though the database answered only after it committed', async () => {
    const url = new URL(t.databaseUrl);
    const proxy = await holdingProxy(Number(url.port || 5432));
    cleanups.push(() => proxy.close());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const sql = createSql(url.toString(), 2, undefined, 'kill-feed-outage');
    cleanups.push(() => sql.end({ timeout: 1 }));
    // No NOTIFY wake-ups needed: the subscriber's own join reads what it must get.
    const feed = new KillFeed(new EventTarget() as unknown as PgEventTarget, sql, createLogger('silent'));

    await t.gql('mutation { upsertJob(input: { id: "stalled", version: "1" }) { id } }', {}, 'ADMIN');
    const started = await t.gql('mutation { startExecution(input: { jobId: "stalled", targetCount: 1 }) { id: rowId } }', {}, 'OPERATOR');
    const execId = started.data!.startExecution.id as string;
    await settle(300); // the feed's first read (its high-water mark) is done

    proxy.hold();
    const signals = feed.subscribe(null)[Symbol.asyncIterator]();
    cleanups.push(async () => signals.return?.());
    const first = signals.next();
    await settle(1_500); // longer than the feed's allowance for clocks (SKEW_MS)
    const killed = await t.gql('mutation { killJob(id: "stalled") { execIds } }', {}, 'OPERATOR');
    expect(killed.data!.killJob.execIds).toEqual([execId]);
    proxy.release();

    const timeout = new Promise<'nothing'>((resolve) => setTimeout(() => resolve('nothing'), 5_000));
    const got = await Promise.race([first, timeout]);
    expect(got).not.toBe('nothing');
    expect((got as IteratorResult<{ execId: string }>).value.execId).toBe(execId);
  });
});

import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { liveStatements } from '../metrics.js';
import type { Announcement, BusHandlers, LiveBus, Publication } from './bus.js';

/**
 * Stores a value unless the stored one is newer, then publishes it: atomic in
 * Redis, so two leaders cannot interleave a store and a publish. Stored as
 * `term:seq:value` in one hash per cluster.
 */
const PUBLISH_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local term, seq = string.match(current, '^(%d+):(%d+):')
  term = tonumber(term); seq = tonumber(seq)
  local newTerm = tonumber(ARGV[2]); local newSeq = tonumber(ARGV[3])
  if term > newTerm or (term == newTerm and seq >= newSeq) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3] .. ':' .. ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[5])
return 1`;

function parseStored(key: string, stored: string): Publication | null {
  const match = /^(\d+):(\d+):/.exec(stored);
  if (!match) return null;
  return { key, term: Number(match[1]), seq: Number(match[2]), value: stored.slice(match[0].length) };
}

/**
 * The bus on Redis (REDIS_URL): values are stored in a hash and PUBLISHed
 * whole (Redis has no 8000-byte limit), announcements are PUBLISHed. Nothing
 * goes through PostgreSQL: no NOTIFY per value and no LISTEN connection for
 * the bus. `prefix` names the cluster (its database), so clusters sharing a
 * Redis stay apart.
 */
export class RedisBus implements LiveBus {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly channels: { values: string; wanted: string };
  private readonly hash: string;
  private closed = false;
  private started = false;
  private handlers: BusHandlers | null = null;

  constructor(
    url: string,
    prefix: string,
    private readonly log: Logger,
  ) {
    const options = {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      // Subscribed again by us on every 'ready' (below), whatever failed before.
      autoResubscribe: false,
      retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1000),
      connectionName: 'opsgraph-live-bus',
    };
    this.client = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error) => this.log.debug({ err: error }, 'Redis bus connection error'));
    }
    this.channels = { values: `${prefix}:values`, wanted: `${prefix}:wanted` };
    this.hash = `${prefix}:latest`;
    this.client.defineCommand('opsgraphPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    // Before any subscription: a message may come in the same read as the subscription's reply.
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.subscriber.on('ready', () => this.onReady());
  }

  /**
   * Connects both connections and subscribes. When Redis is down this fails,
   * and the caller tries again; once connected, ioredis reconnects by itself
   * (retryStrategy), and each 'ready' after the first subscribes again and
   * reports a reconnect (what was published meanwhile is lost).
   */
  async start(handlers: BusHandlers): Promise<void> {
    if (this.started) return;
    this.handlers = handlers;
    await Promise.all([
      this.client.status === 'wait' || this.client.status === 'end' ? this.client.connect() : undefined,
      this.subscriber.status === 'wait' || this.subscriber.status === 'end' ? this.subscriber.connect() : undefined,
    ]);
    await this.subscriber.subscribe(this.channels.values, this.channels.wanted);
    this.started = true;
  }

  private onReady(): void {
    if (this.closed || !this.started) return;
    this.subscriber.subscribe(this.channels.values, this.channels.wanted).then(
      () => this.handlers?.reconnected(),
      (error) => this.log.warn({ err: error }, 'could not subscribe to the Redis bus again'),
    );
  }

  private onMessage(channel: string, message: string): void {
    if (this.closed || !this.handlers) return;
    try {
      if (channel === this.channels.values) {
        const m = JSON.parse(message) as { k: string; t: number; s: number; d: string };
        this.handlers.values([{ key: m.k, term: m.t, seq: m.s, value: m.d }]);
      } else if (channel === this.channels.wanted) this.handlers.announcement(JSON.parse(message) as Announcement);
    } catch (error) {
      this.log.warn({ err: error, channel }, 'could not read a Redis bus message');
    }
  }

  async publish(publications: Publication[]): Promise<void> {
    if (publications.length === 0) return;
    liveStatements.inc({ kind: 'bus' }, publications.length);
    const pipeline = this.client.pipeline();
    for (const p of publications) {
      const message = JSON.stringify({ k: p.key, t: p.term, s: p.seq, d: p.value });
      (pipeline as unknown as { opsgraphPublish(...args: (string | number)[]): void }).opsgraphPublish(
        this.hash,
        this.channels.values,
        p.key,
        p.term,
        p.seq,
        p.value,
        message,
      );
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async read(keys: string[]): Promise<Publication[]> {
    if (keys.length === 0) return [];
    liveStatements.inc({ kind: 'bus' });
    const stored = await this.client.hmget(this.hash, ...keys);
    return stored.flatMap((value, i) => (value === null ? [] : (parseStored(keys[i]!, value) ?? [])));
  }

  async announce(message: Announcement): Promise<void> {
    liveStatements.inc({ kind: 'bus' });
    await this.client.publish(this.channels.wanted, JSON.stringify(message));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriber.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

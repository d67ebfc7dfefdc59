import { Repeater } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { liveRecomputes, liveSubscriptions } from '../metrics.js';

/** One badge with one set of arguments, shared by every subscriber that asks for exactly it. */
export interface LiveSpec<T> {
  /** Which badge: the label of its metrics. */
  badge: string;
  /** The badge and its arguments, e.g. `failureCount:1h:TRAFFIC`; equal keys share one computation. */
  key: string;
  /** Topics whose changes may move the value. */
  topics: string[];
  compute(): Promise<T>;
  /** What makes two values "the same" for subscribers; defaults to the whole value as JSON. */
  identity?(value: T): string;
  /** When the value will change with no write at all (a sliding window); null if never. */
  nextChangeAt?(value: T): Promise<Date | null>;
}

interface TopicTarget {
  addEventListener(topic: string, listener: (event: Event) => void): void;
  removeEventListener(topic: string, listener: (event: Event) => void): void;
}

const RETRY_MS = 1000;

class LiveEntry<T> {
  readonly subscribers = new Set<(value: T) => void>();
  private value: { identity: string; value: T } | null = null;
  private running: Promise<void> | null = null;
  private pending: NodeJS.Timeout | null = null;
  private wantsAnother = false;
  private lastRunAt = 0;
  private agingTimer: NodeJS.Timeout | null = null;
  private markReady!: () => void;
  /** Settles once the first value is known. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));
  closed = false;

  constructor(
    readonly spec: LiveSpec<T>,
    private readonly coalesceMs: number,
    private readonly log: Logger,
  ) {}

  current(): T | undefined {
    return this.value?.value;
  }

  /** Asks for a recompute: at once after a quiet spell, else at most once per coalescing interval. */
  invalidate(): void {
    if (this.closed) return;
    if (this.running || this.pending) {
      this.wantsAnother = true;
      return;
    }
    const wait = Math.max(0, this.lastRunAt + this.coalesceMs - Date.now());
    this.pending = setTimeout(() => {
      this.pending = null;
      this.running = this.recompute().finally(() => {
        this.running = null;
        if (this.wantsAnother) {
          this.wantsAnother = false;
          this.invalidate();
        }
      });
    }, wait);
  }

  private async recompute(): Promise<void> {
    this.lastRunAt = Date.now();
    liveRecomputes.inc({ badge: this.spec.badge });
    let value: T;
    try {
      value = await this.spec.compute();
    } catch (error) {
      // Keep the last value and try again shortly: subscribers get the current value once the database answers.
      this.log.warn({ err: error, key: this.spec.key }, 'live badge recompute failed');
      setTimeout(() => this.invalidate(), RETRY_MS).unref();
      return;
    }
    if (this.closed) return;
    const identity = this.spec.identity ? this.spec.identity(value) : JSON.stringify(value);
    if (this.value?.identity !== identity) {
      this.value = { identity, value };
      this.markReady();
      for (const push of this.subscribers) push(value);
    }
    await this.scheduleAging(value);
  }

  private async scheduleAging(value: T): Promise<void> {
    if (!this.spec.nextChangeAt) return;
    if (this.agingTimer) clearTimeout(this.agingTimer);
    this.agingTimer = null;
    const at = await this.spec.nextChangeAt(value).catch(() => null);
    if (at === null || this.closed) return;
    // setTimeout cannot wait longer than ~24.8 days; windows are at most 7.
    const delay = Math.min(2 ** 31 - 1, Math.max(0, at.getTime() - Date.now() + 1));
    this.agingTimer = setTimeout(() => this.invalidate(), delay);
  }

  close(): void {
    this.closed = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.agingTimer) clearTimeout(this.agingTimer);
  }
}

/**
 * Live queries multiplexed over subscribers: each distinct badge and argument
 * set is computed once per change and its result handed to every subscriber,
 * so the cost of a change does not grow with the number of subscribers.
 */
export class LiveQueries {
  private readonly entries = new Map<string, LiveEntry<any>>();
  private readonly byTopic = new Map<string, Set<LiveEntry<any>>>();
  private readonly onTopic = (event: Event) => {
    for (const entry of this.byTopic.get(event.type) ?? []) entry.invalidate();
  };

  constructor(
    private readonly target: TopicTarget,
    private readonly coalesceMs: number,
    private readonly log: Logger,
  ) {}

  /** Emits the current value at once, then each new value; never the same value twice in a row. */
  subscribe<T>(spec: LiveSpec<T>): AsyncIterable<T> {
    return new Repeater<T>(async (push, stop) => {
      const entry = this.acquire(spec);
      let last: T | undefined;
      const send = (value: T) => {
        if (value !== last) {
          last = value;
          void push(value);
        }
      };
      entry.subscribers.add(send);
      liveSubscriptions.inc({ badge: spec.badge });
      try {
        await Promise.race([entry.ready, stop]);
        const current = entry.current();
        if (current !== undefined) send(current);
        await stop;
      } finally {
        entry.subscribers.delete(send);
        liveSubscriptions.dec({ badge: spec.badge });
        if (entry.subscribers.size === 0) this.release(entry);
      }
    });
  }

  private acquire<T>(spec: LiveSpec<T>): LiveEntry<T> {
    let entry = this.entries.get(spec.key) as LiveEntry<T> | undefined;
    if (entry) return entry;
    entry = new LiveEntry(spec, this.coalesceMs, this.log);
    this.entries.set(spec.key, entry);
    entry.invalidate();
    for (const topic of spec.topics) {
      let set = this.byTopic.get(topic);
      if (!set) {
        set = new Set();
        this.byTopic.set(topic, set);
        this.target.addEventListener(topic, this.onTopic);
      }
      set.add(entry);
    }
    return entry;
  }

  private release(entry: LiveEntry<any>): void {
    entry.close();
    this.entries.delete(entry.spec.key);
    for (const topic of entry.spec.topics) {
      const set = this.byTopic.get(topic);
      set?.delete(entry);
      if (set?.size === 0) {
        this.byTopic.delete(topic);
        this.target.removeEventListener(topic, this.onTopic);
      }
    }
  }

  /** Number of distinct argument sets being computed. */
  size(): number {
    return this.entries.size;
  }
}

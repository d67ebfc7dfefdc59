import { Repeater } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { DomainError } from '../errors.js';
import { livePassDuration, liveRecomputes, liveSubscriptions, wsRefusals } from '../metrics.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import { SocketWrites } from './socket-writes.js';
import type { Topic } from './topics.js';

export function tooManyLiveGroups(max: number): DomainError {
  return new DomainError(
    `This server already serves ${max} distinct live subscriptions (LIVE_MAX_GROUPS); subscribe with arguments others use, or try again later`,
    'TOO_MANY_LIVE_GROUPS',
  );
}

/** One badge with one set of arguments, shared by every subscriber that asks for exactly it. */
export interface LiveSpec<T> {
  /** Which badge: the label of its metrics. */
  badge: string;
  /** The badge and its arguments, e.g. `failureCount:1h:TRAFFIC`; equal keys share one computation. */
  key: string;
  /** Topics whose changes may move the value (src/live/topics.ts). */
  topics: readonly Topic[];
  compute(): Promise<T>;
  /** What makes two values "the same" for subscribers; defaults to the whole value as JSON. */
  identity?(value: T): string;
  /** When the value will change with no write at all (a sliding window); null if never. */
  nextChangeAt?(value: T): Promise<Date | null>;
}

interface TopicTarget {
  addEventListener(topic: Topic, listener: (event: Event) => void): void;
  removeEventListener(topic: Topic, listener: (event: Event) => void): void;
}

type Listener<T> = (value: T) => void;

const RETRY_MS = 1000;
/** Entries due within this much of each other are recomputed, and published, together. */
const BATCH_SLACK_MS = 5;

class LiveEntry<T> {
  readonly listeners = new Set<Listener<T>>();
  value: { identity: string; value: T } | null = null;
  /** When the next recompute should start; null when none is wanted. */
  dueAt: number | null = null;
  running = false;
  lastRunAt = -Infinity;
  agingTimer: LongTimer | null = null;
  /** Orders the aging lookups: only the latest one may set the timer. */
  agingSeq = 0;
  closed = false;

  constructor(readonly spec: LiveSpec<T>) {}
}

/**
 * What a live badge subscription resolves to. Iterating it gives the current
 * value and then each change, as any subscription; `listen` gives the same
 * values to a callback with no iterator, promise or queue per subscriber,
 * which is what lets one computation be written to ten thousand sockets.
 */
export class LiveStream<T> implements AsyncIterable<T> {
  constructor(
    private readonly live: LiveQueries,
    readonly spec: LiveSpec<T>,
  ) {}

  /** Calls `listener` with the current value (once known) and each change; returns the unsubscribe. */
  listen(listener: Listener<T>): () => void {
    return this.live.listen(this.spec, listener);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new Repeater<T>(async (push, stop) => {
      const unlisten = this.listen((value) => void push(value));
      liveSubscriptions.inc({ badge: this.spec.badge });
      await stop;
      unlisten();
      liveSubscriptions.dec({ badge: this.spec.badge });
    })[Symbol.asyncIterator]();
  }
}

/**
 * The shared recomputes: each distinct badge and argument set is computed
 * once per change and its result handed to every subscriber, so the cost of a
 * change does not grow with the number of subscribers.
 *
 * Recomputes are coalesced per entry (at once after a quiet spell, else at
 * most once per interval), and entries that fall due together run together
 * in one pass (see `pass`): a dashboard's five badges on one socket then leave
 * in one write instead of five.
 */
export class LiveQueries {
  private readonly entries = new Map<string, LiveEntry<any>>();
  private readonly byTopic = new Map<Topic, Set<LiveEntry<any>>>();
  private timer: LongTimer | null = null;
  private timerAt = Infinity;
  private readonly onTopic = (event: Event) => {
    for (const entry of this.byTopic.get(event.type as Topic) ?? []) this.invalidate(entry);
  };

  constructor(
    private readonly target: TopicTarget,
    private readonly coalesceMs: number,
    private readonly log: Logger,
    /** LIVE_MAX_GROUPS: each distinct badge and argument set is one recompute per change. */
    private readonly maxEntries = Infinity,
    /** Where the fan-out's groups write to sockets: held during a pass, released at its end. */
    readonly writes = new SocketWrites(),
  ) {}

  /**
   * Emits the current value at once, then each new value; never the same value
   * twice in a row. Throws TOO_MANY_LIVE_GROUPS for a new argument set once
   * LIVE_MAX_GROUPS are computed (SSE and graphql-ws alike).
   */
  subscribe<T>(spec: LiveSpec<T>): LiveStream<T> {
    if (this.entries.size >= this.maxEntries && !this.entries.has(spec.key)) {
      wsRefusals.inc({ limit: 'live_groups' });
      throw tooManyLiveGroups(this.maxEntries);
    }
    return new LiveStream(this, spec);
  }

  listen<T>(spec: LiveSpec<T>, listener: Listener<T>): () => void {
    const entry = this.acquire(spec);
    entry.listeners.add(listener);
    if (entry.value) listener(entry.value.value);
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) this.release(entry);
    };
  }

  /** Number of distinct argument sets being computed. */
  size(): number {
    return this.entries.size;
  }

  private acquire<T>(spec: LiveSpec<T>): LiveEntry<T> {
    let entry = this.entries.get(spec.key) as LiveEntry<T> | undefined;
    if (entry) return entry;
    entry = new LiveEntry(spec);
    this.entries.set(spec.key, entry);
    for (const topic of spec.topics) {
      let set = this.byTopic.get(topic);
      if (!set) {
        set = new Set();
        this.byTopic.set(topic, set);
        this.target.addEventListener(topic, this.onTopic);
      }
      set.add(entry);
    }
    this.invalidate(entry);
    return entry;
  }

  private release(entry: LiveEntry<any>): void {
    entry.closed = true;
    entry.agingTimer?.clear();
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

  /** Asks for a recompute: at once after a quiet spell, else one interval after the last one started. */
  private invalidate(entry: LiveEntry<any>): void {
    if (entry.closed) return;
    const at = Math.max(Date.now(), entry.lastRunAt + this.coalesceMs);
    // A running entry keeps its due time; the batch reschedules it when it finishes.
    if (entry.dueAt === null || at < entry.dueAt) entry.dueAt = at;
    if (!entry.running) this.arm(entry.dueAt);
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.timer?.clear();
    this.timerAt = at;
    this.timer = setLongTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.runDue();
    }, Math.max(0, at - Date.now()));
  }

  /** Runs the entries that are due (and those due within BATCH_SLACK_MS) in one pass; re-arms for the next. */
  private async runDue(): Promise<void> {
    const now = Date.now();
    const batch: LiveEntry<any>[] = [];
    let next = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.dueAt === null || entry.running) continue;
      if (entry.dueAt <= now + BATCH_SLACK_MS) batch.push(entry);
      else next = Math.min(next, entry.dueAt);
    }
    if (next < Infinity) this.arm(next);
    if (batch.length > 0) await this.pass(batch, now);
  }

  /**
   * One pass, top to bottom: this is the whole way of a change to the sockets.
   *
   * 1. Recompute every entry of the batch, together (their queries run in parallel).
   * 2. Compare each value with the last by its identity; a failed recompute keeps
   *    the last value and is tried again shortly.
   * 3. Publish the changed values, synchronously, with the socket writes held: a
   *    fan-out group (src/live/fanout.ts) executes its document and serialises the
   *    result once, then queues it for each of its sockets; an SSE stream pushes it.
   * 4. Release the writes: each socket that got anything is written once, however
   *    many of its badges changed.
   * 5. Stop the pass timer (opsgraph_live_pass_seconds: recompute to last socket written).
   */
  private async pass(batch: LiveEntry<any>[], now: number): Promise<void> {
    const stopTimer = livePassDuration.startTimer();
    for (const entry of batch) {
      entry.dueAt = null;
      entry.running = true;
      entry.lastRunAt = now;
      liveRecomputes.inc({ badge: entry.spec.badge });
    }
    // 1.
    const results = await Promise.allSettled(batch.map((entry) => entry.spec.compute()));
    // 2.
    const changed: LiveEntry<any>[] = [];
    batch.forEach((entry, i) => {
      entry.running = false;
      const result = results[i]!;
      if (entry.closed) return;
      if (result.status === 'rejected') {
        // Keep the last value and try again shortly: subscribers get the current value once the database answers.
        this.log.warn({ err: result.reason, key: entry.spec.key }, 'live badge recompute failed');
        entry.lastRunAt = now + RETRY_MS - this.coalesceMs;
        this.invalidate(entry);
        return;
      }
      const value = result.value;
      const identity = entry.spec.identity ? entry.spec.identity(value) : JSON.stringify(value);
      if (entry.value?.identity !== identity) {
        entry.value = { identity, value };
        changed.push(entry);
      }
      if (entry.dueAt !== null) this.arm(entry.dueAt);
      void this.scheduleAging(entry, value);
    });
    if (changed.length === 0) return;
    // 3.
    this.writes.hold();
    try {
      for (const entry of changed) {
        for (const listener of entry.listeners) {
          try {
            listener(entry.value!.value);
          } catch (error) {
            this.log.error({ err: error, key: entry.spec.key }, 'live badge listener failed');
          }
        }
      }
    } finally {
      // 4.
      this.writes.release();
    }
    // 5.
    stopTimer();
  }

  private async scheduleAging<T>(entry: LiveEntry<T>, value: T): Promise<void> {
    if (!entry.spec.nextChangeAt) return;
    const seq = ++entry.agingSeq;
    const at = await entry.spec.nextChangeAt(value).catch(() => null);
    if (entry.closed || seq !== entry.agingSeq) return;
    entry.agingTimer?.clear();
    entry.agingTimer = null;
    if (at === null) return;
    entry.agingTimer = setLongTimeout(() => this.invalidate(entry), at.getTime() - Date.now() + 1);
  }
}

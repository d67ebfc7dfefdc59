import { Repeater } from 'graphql-yoga';
import type { Services } from '../context.js';
import type { Logger } from '../logger.js';
import { DomainError } from '../errors.js';
import { livePassDuration, livePassesRunning, liveRecomputes, liveSubscriptions, wsRefusals } from '../metrics.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import { SocketWrites } from './socket-writes.js';
import { epochNow, tracePass, type PassTiming, type PassTrace } from '../tracing/live.js';
import { tracing } from '../tracing/tracing.js';
import type { LiveDescriptor } from './bus.js';
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
  /**
   * The badge and its arguments as data, for another instance (the cluster's
   * leader) to compute the same thing (src/live/badges.ts, badgeSpec).
   */
  descriptor?: LiveDescriptor;
  /**
   * For a badge whose pushes are changes (the job list): what a listener that
   * was last given `previous` (null: nothing yet) is given for `next`. Values
   * computed and shared stay whole; each listener is sent changes from its own
   * last value, so one that joins late, or a follower that missed a value of
   * the cluster's bus, still adds up to the whole.
   */
  changes?: (previous: T | null, next: T) => T;
}

/**
 * How LiveQueries takes part in a cluster (src/live/cluster.ts): it tells the
 * cluster which groups its subscribers want, and, while it computes (leads),
 * hands it each new value to publish.
 */
export interface ClusterLink {
  wanted(spec: LiveSpec<any>): void;
  unwanted(key: string): void;
  publish(values: { key: string; value: unknown }[]): void;
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
  /** Whether its topics are listened to (always, but on a follower). */
  attached = false;
  /** Wanted by another instance of the cluster (this one leads). */
  remote = false;
  /** Publish the next value to the cluster even if unchanged (a new leader publishes every group at once). */
  forcePublish = false;
  /** Values applied from the cluster's bus: a follower's local read that saw one land meanwhile is dropped. */
  applied = 0;

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
    const changes = this.spec.changes;
    if (!changes) return this.live.listen(this.spec, listener);
    let last: T | null = null;
    return this.live.listen(this.spec, (value) => {
      const sent = changes(last, value);
      last = value;
      listener(sent);
    });
  }

  /**
   * For a badge whose pushes are changes: what a subscriber joining a fan-out
   * group late is sent first, the whole current value (null: any other badge).
   * Holds the live queries and the key, not the spec (nor its context).
   */
  joining(): (() => T) | null {
    const { live } = this;
    const { changes, key } = this.spec;
    return changes ? () => changes(null, live.current(key) as T) : null;
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
  /** Entries with subscribers of this instance (LIVE_MAX_GROUPS counts these). */
  private local = 0;
  /** The cluster this instance belongs to (LIVE_LEADER), or null: it computes every badge itself. */
  private cluster: ClusterLink | null = null;
  /** Whether this instance computes its badges: standalone, or the cluster's leader. */
  private computing = true;
  /** What the badges compute with (the live pool, src/live/live-system.ts); null: the subscriber's own context. */
  services: Services | null = null;
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
    if (this.local >= this.maxEntries && !this.entries.get(spec.key)?.listeners.size) {
      wsRefusals.inc({ limit: 'live_groups' });
      throw tooManyLiveGroups(this.maxEntries);
    }
    return new LiveStream(this, spec);
  }

  listen<T>(spec: LiveSpec<T>, listener: Listener<T>): () => void {
    const entry = this.acquire(spec);
    if (entry.listeners.size === 0) {
      this.local++;
      this.cluster?.wanted(entry.spec);
    }
    entry.listeners.add(listener);
    if (entry.value) listener(entry.value.value);
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) {
        this.local--;
        this.cluster?.unwanted(entry.spec.key);
        if (!entry.remote) this.release(entry);
      }
    };
  }

  /** The current (whole) value of a group, if it has one. */
  current(key: string): unknown {
    return this.entries.get(key)?.value?.value;
  }

  /** Number of distinct argument sets being computed (or, on a follower, received). */
  size(): number {
    return this.entries.size;
  }

  /** The groups this instance's subscribers want (for the cluster's announcements). */
  wantedSpecs(): LiveSpec<any>[] {
    return [...this.entries.values()].filter((entry) => entry.listeners.size > 0).map((entry) => entry.spec);
  }

  /**
   * Joins a cluster (src/live/cluster.ts): from now on this instance computes
   * nothing until `setComputing(true)` (it was elected), and announces what it wants.
   */
  joinCluster(link: ClusterLink): void {
    this.cluster = link;
    this.setComputing(false);
  }

  /**
   * Leading (true): every group is recomputed at once, from its topics, and its
   * value published to the cluster even if unchanged, so followers that missed
   * values while there was no leader catch up. Following (false): topics, aging
   * timers and the groups kept for other instances are dropped; values come from the bus.
   */
  setComputing(on: boolean): void {
    if (this.computing === on) return;
    this.computing = on;
    for (const entry of [...this.entries.values()]) {
      if (on) {
        this.attach(entry);
        entry.forcePublish = true;
        this.invalidate(entry);
      } else {
        this.detach(entry);
        entry.agingSeq++;
        entry.agingTimer?.clear();
        entry.agingTimer = null;
        entry.dueAt = null;
        entry.forcePublish = false;
        if (entry.remote) {
          entry.remote = false;
          if (entry.listeners.size === 0) this.release(entry);
        }
        // A group that never got its first value reads it itself again.
        if (!entry.closed && entry.value === null) this.invalidate(entry);
      }
    }
  }

  /** Computes these groups again and publishes them to the cluster, changed or not (a publication that failed). */
  republish(keys: string[]): void {
    if (!this.computing) return;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      entry.forcePublish = true;
      this.invalidate(entry);
    }
  }

  /** The leader computes a group another instance wants (until `unretain`). */
  retain(spec: LiveSpec<any>): void {
    if (!this.computing) return;
    const entry = this.acquire(spec);
    entry.remote = true;
  }

  unretain(key: string): void {
    const entry = this.entries.get(key);
    if (!entry?.remote) return;
    entry.remote = false;
    if (entry.listeners.size === 0) this.release(entry);
  }

  /**
   * Values from the cluster's leader (newer than any seen, src/live/cluster.ts),
   * published to this instance's subscribers in one pass: each socket written once.
   */
  apply(values: { key: string; value: unknown }[]): void {
    const changed: LiveEntry<any>[] = [];
    for (const { key, value } of values) {
      const entry = this.entries.get(key);
      if (!entry || entry.closed) continue;
      entry.applied++;
      const identity = entry.spec.identity ? entry.spec.identity(value) : JSON.stringify(value);
      if (entry.value?.identity === identity) continue;
      entry.value = { identity, value };
      if (!changed.includes(entry)) changed.push(entry);
    }
    if (changed.length > 0) this.publishLocally(changed);
  }

  private acquire<T>(spec: LiveSpec<T>): LiveEntry<T> {
    let entry = this.entries.get(spec.key) as LiveEntry<T> | undefined;
    if (entry) return entry;
    entry = new LiveEntry(spec);
    this.entries.set(spec.key, entry);
    if (this.computing) this.attach(entry);
    // A follower reads the first value itself (shared reads): the leader publishes only changes.
    this.invalidate(entry);
    return entry;
  }

  private attach(entry: LiveEntry<any>): void {
    if (entry.attached) return;
    entry.attached = true;
    for (const topic of entry.spec.topics) {
      let set = this.byTopic.get(topic);
      if (!set) {
        set = new Set();
        this.byTopic.set(topic, set);
        this.target.addEventListener(topic, this.onTopic);
      }
      set.add(entry);
    }
  }

  private detach(entry: LiveEntry<any>): void {
    if (!entry.attached) return;
    entry.attached = false;
    for (const topic of entry.spec.topics) {
      const set = this.byTopic.get(topic);
      set?.delete(entry);
      if (set?.size === 0) {
        this.byTopic.delete(topic);
        this.target.removeEventListener(topic, this.onTopic);
      }
    }
  }

  private release(entry: LiveEntry<any>): void {
    entry.closed = true;
    entry.agingTimer?.clear();
    this.entries.delete(entry.spec.key);
    this.detach(entry);
  }

  /** Asks for a recompute: at once after a quiet spell, else one interval after the last one started. */
  private invalidate(entry: LiveEntry<any>): void {
    if (entry.closed) return;
    // A follower recomputes nothing but its first value (and a failed first read).
    if (!this.computing && entry.value !== null) return;
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
    const startedAt = tracing() === null ? 0 : epochNow();
    const computing = this.computing;
    const applied = batch.map((entry) => entry.applied);
    for (const entry of batch) {
      entry.dueAt = null;
      entry.running = true;
      entry.lastRunAt = now;
      liveRecomputes.inc({ badge: entry.spec.badge });
    }
    // 1.
    const running = { startedAt: performance.now() };
    livePassesRunning.add(running);
    const results = await Promise.allSettled(batch.map((entry) => entry.spec.compute()));
    livePassesRunning.delete(running);
    const timing = startedAt === 0 ? null : { startedAt, recomputedAt: epochNow(), recomputed: batch.length };
    // 2.
    const changed: LiveEntry<any>[] = [];
    const published: { key: string; value: unknown }[] = [];
    batch.forEach((entry, i) => {
      entry.running = false;
      const result = results[i]!;
      if (entry.closed) return;
      // A follower's own read of a first value, overtaken by the leader's publication (or the role changed).
      if ((!computing && (this.computing || entry.applied !== applied[i])) || (computing && !this.computing)) {
        if (entry.dueAt !== null) this.arm(entry.dueAt);
        return;
      }
      if (result.status === 'rejected') {
        // Keep the last value and try again shortly: subscribers get the current value once the database answers.
        this.log.warn({ err: result.reason, key: entry.spec.key }, 'live badge recompute failed');
        entry.lastRunAt = now + RETRY_MS - this.coalesceMs;
        this.invalidate(entry);
        return;
      }
      const value = result.value;
      const identity = entry.spec.identity ? entry.spec.identity(value) : JSON.stringify(value);
      const isNew = entry.value?.identity !== identity;
      if (isNew) {
        entry.value = { identity, value };
        changed.push(entry);
      }
      if (computing && this.cluster && (isNew || entry.forcePublish)) published.push({ key: entry.spec.key, value });
      entry.forcePublish = false;
      if (entry.dueAt !== null) this.arm(entry.dueAt);
      if (computing) void this.scheduleAging(entry, value);
    });
    // 3. (the cluster's followers: sent after this instance's own sockets are written)
    if (changed.length > 0) this.publishLocally(changed, timing);
    if (published.length > 0) this.cluster?.publish(published);
    // 5.
    if (changed.length > 0) stopTimer();
  }

  /** Steps 3 and 4 of a pass: every changed value to its listeners, each socket written once. */
  private publishLocally(changed: LiveEntry<any>[], timing: PassTiming | null = null): void {
    const traced = tracePass(timing, changed.length);
    if (traced) return traced.fanOut(() => this.push(changed, traced));
    this.push(changed, null);
  }

  private push(changed: LiveEntry<any>[], traced: PassTrace | null): void {
    this.writes.hold();
    try {
      for (const entry of changed) {
        traced?.push(entry.spec.badge, entry.spec.key, entry.listeners.size);
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
  }

  private async scheduleAging<T>(entry: LiveEntry<T>, value: T): Promise<void> {
    if (!entry.spec.nextChangeAt) return;
    const seq = ++entry.agingSeq;
    const at = await entry.spec.nextChangeAt(value).catch(() => null);
    if (entry.closed || seq !== entry.agingSeq || !this.computing) return;
    entry.agingTimer?.clear();
    entry.agingTimer = null;
    if (at === null) return;
    entry.agingTimer = setLongTimeout(() => this.invalidate(entry), at.getTime() - Date.now() + 1);
  }
}

import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { sessionClient } from '../db/client.js';
import type { Logger } from '../logger.js';
import { listenFailures, listenReconnects } from '../metrics.js';
import { setLongInterval, setLongTimeout, type LongTimer } from '../timers.js';
import { startProbe, type Probe } from './probes.js';
import { channelOf, type PolledTopic, type Topic } from './topics.js';

/** LISTEN that fails (the database is down) is retried after this, doubling up to LISTEN_RETRY_MAX_MS. */
const LISTEN_RETRY_MS = 250;
const LISTEN_RETRY_MAX_MS = 5_000;

/** The event a topic listener receives: a change, or a reconnect after which anything may have changed. */
export interface TopicEvent extends Event {
  readonly detail: { reconnected: boolean };
}

type Listener = (event: TopicEvent) => void;

export interface PgEventTargetOptions {
  url: string;
  log: Logger;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  /**
   * The polled topics' probes (src/live/probes.ts), each run every `probeMs`
   * while its topic has listeners; a topic without one is LISTENed to.
   */
  probes?: Partial<Record<PolledTopic, Probe>>;
  probeMs?: number;
}

/**
 * The listening half of an EventTarget over PostgreSQL LISTEN/NOTIFY, in the
 * manner of yoga's redis event target; changes are published by the SQL that
 * makes them (pg_notify in the triggers of sql/), never through here. A
 * topic is LISTENed on its first listener and UNLISTENed after its last, all
 * on one dedicated connection per instance, on the channel the catalogue
 * gives it (src/live/topics.ts). Notifications sent while the connection was down are lost, so
 * after every reconnect each live topic gets a `reconnected` event and its
 * listeners look again. A connection can also die silently, so a heartbeat
 * goes round through the database; when it does not come back in time, the
 * connection is replaced.
 */
export class PgEventTarget {
  private readonly listeners = new Map<Topic, Set<Listener>>();
  private readonly unlistens = new Map<Topic, Promise<() => Promise<void>>>();
  /** The current LISTEN attempt of each topic: an attempt that is no longer current stops retrying. */
  private readonly listenAttempts = new Map<Topic, object>();
  private readonly probeTimers = new Map<Topic, LongTimer>();
  private client: postgres.Sql;
  private readonly heartbeatChannel = `opsgraph_heartbeat_${randomUUID().replaceAll('-', '')}`;
  private heartbeatTimer: LongTimer | null = null;
  private heartbeatDeadline: LongTimer | null = null;
  /** Whether the heartbeat's own LISTEN is in place on the current client. */
  private heartbeatListening = false;
  /** Heartbeats in a row that were sent (the database answered) but never heard back on LISTEN. */
  private unheardBeats = 0;
  private closed = false;

  constructor(private readonly options: PgEventTargetOptions) {
    this.client = this.connect();
    this.startHeartbeat();
  }

  private connect(): postgres.Sql {
    return sessionClient(this.options.url, 'opsgraph-listener');
  }

  addEventListener(topic: Topic, listener: EventListenerOrEventListenerObject | null): void {
    if (typeof listener !== 'function') return;
    const fn = listener as Listener;
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      const probe = this.options.probes?.[topic as PolledTopic];
      if (probe) {
        this.probeTimers.set(
          topic,
          startProbe({
            topic,
            probe,
            client: () => this.client,
            intervalMs: this.options.probeMs ?? 100,
            changed: () => this.emit(topic, false),
            log: this.options.log,
          }),
        );
      } else this.unlistens.set(topic, this.listen(topic));
    }
    set.add(fn);
  }

  removeEventListener(topic: Topic, listener: EventListenerOrEventListenerObject | null): void {
    const set = this.listeners.get(topic);
    if (!set || typeof listener !== 'function') return;
    set.delete(listener as Listener);
    if (set.size === 0) {
      this.listeners.delete(topic);
      this.probeTimers.get(topic)?.clear();
      this.probeTimers.delete(topic);
      const unlisten = this.unlistens.get(topic);
      this.unlistens.delete(topic);
      this.listenAttempts.delete(topic);
      void unlisten?.then((stop) => stop()).catch(() => {});
    }
  }

  /**
   * LISTENs for `topic`, retrying with backoff while the database cannot be
   * reached; never rejects. It gives up only when the topic loses its last
   * listener, the connection is replaced (a new attempt takes over) or the
   * target closes. Once LISTEN is in place, onlisten makes every listener look
   * again, so subscribers get the current value when the database is back.
   */
  private async listen(topic: Topic): Promise<() => Promise<void>> {
    const attempt = {};
    this.listenAttempts.set(topic, attempt);
    const current = () => !this.closed && this.listenAttempts.get(topic) === attempt;
    let first = true;
    for (let failures = 0; current(); failures++) {
      // postgres.js keeps the callbacks of a LISTEN that failed (and listens with them again after a
      // reconnect): only those of the attempt that succeeded, while it is current, may act.
      let active = true;
      const live = () => active && current();
      try {
        const { unlisten } = await this.client.listen(
          channelOf(topic),
          () => live() && this.emit(topic, false),
          () => {
            if (!live()) return;
            // onlisten runs on every (re)connect. The first time, a change may have
            // slipped in before LISTEN took effect; later, changes were surely missed.
            if (!first) listenReconnects.inc();
            this.emit(topic, !first);
            first = false;
          },
        );
        if (failures > 0) this.options.log.info({ topic, failures }, 'LISTEN is in place again');
        return unlisten;
      } catch (error) {
        active = false;
        listenFailures.inc();
        const retryInMs = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_MS * 2 ** failures);
        this.options.log.warn({ err: error, topic, retryInMs }, 'LISTEN failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, retryInMs).unref());
      }
    }
    return async () => {};
  }

  private emit(topic: Topic, reconnected: boolean): void {
    const event = Object.assign(new Event(topic), { detail: { reconnected } }) as TopicEvent;
    for (const listener of [...(this.listeners.get(topic) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        this.options.log.error({ err: error, topic }, 'a live topic listener failed');
      }
    }
  }

  private startHeartbeat(): void {
    const { heartbeatMs, heartbeatTimeoutMs, log } = this.options;
    let beating = false;
    const beat = async () => {
      if (this.closed || beating) return;
      beating = true;
      const client = this.client;
      try {
        if (!this.heartbeatListening) {
          await client.listen(this.heartbeatChannel, () => {
            this.heartbeatDeadline?.clear();
            this.heartbeatDeadline = null;
            this.unheardBeats = 0;
          });
          // A LISTEN that failed is simply tried again at the next beat.
          if (client === this.client) this.heartbeatListening = true;
          else return;
        }
        let sent = false;
        this.heartbeatDeadline ??= setLongTimeout(() => {
          this.heartbeatDeadline = null;
          log.warn('the LISTEN connection missed its heartbeat; replacing it');
          // The database answers, yet no NOTIFY ever arrives: the sign of LISTEN through a
          // transaction pooler, which a new connection cannot fix. Said once, loudly.
          if (sent && ++this.unheardBeats === 2) {
            log.error(
              'NOTIFYs never reach the LISTEN connection although the database answers: is it a transaction pooler (PgBouncer)? ' +
                'Set DATABASE_DIRECT_URL to PostgreSQL itself (docs/scaling.md); live badges now arrive only after each reconnect',
            );
          }
          this.replaceConnection();
        }, heartbeatTimeoutMs);
        // Sent on the pool-less listener client's own normal connection, received on its LISTEN one.
        await client`select pg_notify(${this.heartbeatChannel}, '')`;
        sent = true;
      } catch (error) {
        log.debug({ err: error }, 'heartbeat could not be sent');
      } finally {
        beating = false;
      }
    };
    this.heartbeatTimer = setLongInterval(() => void beat(), heartbeatMs).unref();
  }

  /** Drops a connection that went silent and listens again on a new one; every topic then re-queries. */
  private replaceConnection(): void {
    if (this.closed) return;
    const old = this.client;
    this.client = this.connect();
    this.heartbeatListening = false;
    void old.end({ timeout: 0 }).catch(() => {});
    listenReconnects.inc();
    for (const topic of this.listeners.keys()) {
      if (!this.probeTimers.has(topic)) this.unlistens.set(topic, this.listen(topic));
      this.emit(topic, true);
    }
  }

  /**
   * Whether NOTIFYs stopped reaching this connection although the database
   * answers (two heartbeats in a row sent and never heard: LISTEN through a
   * transaction pooler). Such an instance must not lead the live badges.
   */
  get deaf(): boolean {
    return this.unheardBeats >= 2;
  }

  /** Resolves once LISTEN for `topic` is in place (tests wait on it). */
  async listening(topic: Topic): Promise<void> {
    await this.unlistens.get(topic);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listenAttempts.clear();
    for (const timer of this.probeTimers.values()) timer.clear();
    this.heartbeatTimer?.clear();
    this.heartbeatDeadline?.clear();
    await this.client.end({ timeout: 1 });
  }
}
